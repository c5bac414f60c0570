"""Evidence rules on text, without OCR."""

import re

from ella_dagster.domain.doc_types import DocType
from ella_dagster.engines import rules


def test_tax_year_prefers_the_labelled_year_then_recent_years() -> None:
    assert rules.tax_year("Form 1099-INT  For calendar year 2021  OMB 1545-0112") == 2021
    assert rules.tax_year("Martin, 1984 Lena Lane  $ 2000  2018 2018") == 2018
    assert rules.tax_year("wages 2000.00 and $ 2021") is None
    assert rules.tax_year("born 1985, 1984 Lena Lane") is None


def test_hard_negatives_are_other_and_never_auto_link() -> None:
    doc_type, confidence, _, _ = rules.classify_text(
        "Form W-9 Request for Taxpayer Identification Number and Certification  Part I Taxpayer Identification"
    )
    assert doc_type is DocType.OTHER and confidence < 0.6


def test_a_1099_variant_is_told_apart_by_its_title() -> None:
    text = (
        "Form 1099-DIV Dividends and Distributions  PAYER'S TIN  RECIPIENT'S TIN  1a Total ordinary dividends"
        "  1b Qualified dividends  4 Federal income tax withheld"
    )
    assert rules.classify_text(text)[0] is DocType.FORM_1099_DIV


def test_dashes_as_ocr_reads_them() -> None:
    assert rules.ssn("SSN 123\u201445\u20146789") == "123-45-6789"
    assert rules.ein("EIN 12~3456789") == "12-3456789"


# ---- identity documents, on OCR-like text ---------------------------------------------------------


def test_a_passport_is_known_by_its_machine_readable_zone_even_misread() -> None:
    # The word "PASSPORT" lost, '<' read as 'K', '«' and 'c', a zero read as 'O', spaces let in.
    text = (
        "Surname / Nom\nTRAVELER\nNationality\nUNITED STATES OF AMERICA\n"
        "P«USATRAVE LER<K<HAPPY<<<<KcK<K<Kcccceeeeeey\n"
        "E00007730O3USA6502056F3010149500101920<091824\n"
    )
    doc_type, confidence, _, _ = rules.classify_text(text)
    assert doc_type is DocType.PASSPORT and confidence >= 0.6


def test_a_foreign_passport_mrz_alone_is_a_passport() -> None:
    text = (
        "Pasport\nAFIFAH HAIRUDDIN\nP<MYSHAIRUDDIN<<AFIFAH<<<<<<<<<<eeeceeeeeeec<\n"
        "R000000009MYS7511024F2203104751102076384<<04"
    )
    assert rules.classify_text(text)[0] is DocType.PASSPORT


def test_an_mrz_with_its_digits_and_filler_misread_is_still_one() -> None:
    # A photographed page: '<' read as K in groups, digits as letters (5/S, 0/O, 2/Z, 1/I), no title.
    text = (
        "UNITED KINGDOM OF GREAT BRITAIN\n707797979\n"
        "PLGBRPUDARSANK CHE NER TK < KEKE EEK E KK\n7077979792GBRISOSZOIM 17062 24 <<< dK KK KKK KK KO0"
    )
    assert rules.classify_text(text)[0] is DocType.PASSPORT
    # A masked card number read as K's is no MRZ.
    assert re.search(rules.MRZ_FILLER, "ACCOUNT # KAKK KEK KEKE VISA 3433") is None


def test_an_identity_card_mrz_is_not_a_passport() -> None:
    text = (
        "DOCUMENTO NACIONAL DE IDENTIDAD\nIDESPBAA000589599999999R<<<<<<<\n"
        "8001014F2501017ESP<<<<<<<<<<<7\nESPANOLA<ESPANOLA<<CARMEN<<<<<"
    )
    assert rules.classify_text(text)[0] is not DocType.PASSPORT


def test_a_licence_without_its_title_is_known_by_its_fields_and_state() -> None:
    # What OCR keeps of a photographed commercial licence: no "DRIVER LICENSE", misread labels.
    text = (
        "CHRIS SMITH\nMain Street, Charleston,\nWV 25301\ncuss A RESTR NONE\nuc# 034568\n"
        "pos. 03/23/1988\nEXP 03/23/2026\nss: 03/23/2019\nEND. NONE\nsec M\nHGT: 5'11\nwGT. 185LB\neves BLU"
    )
    doc_type, confidence, _, _ = rules.classify_text(text)
    assert doc_type is DocType.DRIVER_LICENSE and confidence >= 0.6


def test_a_licence_title_read_without_spaces() -> None:
    text = "ARIZONA DRIVERLICENSE USA\n9 CLASS D  4d DLN D12345678\n3 DOB 02/01/1957\n1 SAMPLE\nPHOENIX, AZ 85007"
    assert rules.classify_text(text)[0] is DocType.DRIVER_LICENSE


def test_a_licence_title_stacked_on_two_lines_with_specks_between() -> None:
    """A card prints DRIVER'S above LICENSE; a reading of the card as one block puts the picture's
    specks between them. Two words far apart on a page are no title."""
    card = "DRIVER'S -\n\nae — ' LICENSE |) eo\n5 01/12/2016 S99988801\n“NONE” NONE\nSAMPLE\nCONNOR"
    assert rules.classify_text(card, "DRIVER'S -\nae — ' LICENSE")[0] is DocType.DRIVER_LICENSE
    licence = next(s for s in rules.SIGNATURES if s.doc_type is DocType.DRIVER_LICENSE)
    far = "Driver's name: Pat Lee, route 9 and the depot\nthe business licence of the carrier"
    assert not re.search(licence.titles[0], far, re.IGNORECASE)


def test_a_receipt_in_another_language() -> None:
    """A museum ticket bought abroad: "REÇU", "Payé" and prices in euros, without one English word."""
    text = "Maison Jeanne d'Arc REÇU 11/12/2022\nDescription Total\nEntrée plein tarif 6,00€\nPayé 9,50€"
    assert rules.classify_text(text, "")[0] is DocType.RECEIPT
    statement = "Statement\nOpening balance £1,204.10\nPaid to card £12.40\nTotal £1,191.70\nClosing balance"
    assert rules.classify_text(statement)[0] is not DocType.RECEIPT


def test_a_tax_form_with_its_title_garbled_is_no_receipt() -> None:
    """A photographed 1040 whose title OCR garbled ("Tax Retum") still prints its OMB number, and its
    "will not change" and "itemizes" are no receipt's change and items."""
    form = (
        "f1040 U.S. Individual Income Tax Retum 2020 OMB No. 1545-0074\nFiling Status\n"
        "Checking a box below will not change your tax or refund.\nSpouse itemizes on a separate return\n"
        "9 Add lines 1, 2b, 3b. This is your total income"
    )
    assert rules.classify_text(form)[0] is not DocType.RECEIPT
    receipt = "CORNER MARKET\nMilk 3.49\nBread 2.99\nTOTAL 6.48\nCASH 10.00\nCHANGE 3.52\n2 ITEMS"
    assert rules.classify_text(receipt)[0] is DocType.RECEIPT


def test_an_ssn_card_with_its_title_lost() -> None:
    text = "123-45-6789\nTHIS NUMBER HAS BEE NIES TABLISHED FOR\nJOHN DOE\nSIGNATURE"
    assert rules.classify_text(text)[0] is DocType.SSN_CARD


def test_a_w2_mentioning_social_security_is_not_an_ssn_card() -> None:
    w2 = (
        "a Employee's social security number 123-45-6789\nb Employer identification number 12-3456789\n"
        "3 Social security wages 52000.00  4 Social security tax withheld 3224.00\nForm W-2 Wage and Tax Statement"
    )
    assert rules.classify_text(w2)[0] is DocType.W2
    # Even a fragment of one: a card never prints "social security number".
    fragment = "Employee's social security number\n123-45-6789"
    assert rules.classify_text(fragment)[0] is not DocType.SSN_CARD


def test_a_letter_that_mentions_a_passport_is_not_an_id() -> None:
    letter = (
        "Dear client,\nPlease bring your passport, your driver license and your Social Security card to the\n"
        "appointment. The date of birth and the place of birth on your passport must match your return.\nSincerely,"
    )
    assert rules.classify_text(letter)[0] not in (DocType.PASSPORT, DocType.DRIVER_LICENSE, DocType.SSN_CARD)


def test_an_ein_with_1099_in_its_digits_is_not_a_1099_mark() -> None:
    text = (
        "Form W-2 Wage and Tax Statement\nb Employer identification number 09-1099887\n"
        "1 Wages, tips, other compensation"
    )
    assert rules.classify_text(text)[0] is DocType.W2


def test_a_receipt_is_not_a_bill_or_a_letter_about_a_form() -> None:
    bill = "Monthly statement\nPrincipal $1,000.08\nEscrow $313.70\nTotal Amount Due $2,525.00\nThank you"
    assert rules.classify_text(bill)[0] is not DocType.RECEIPT
    letter = (
        "YOUR 2019 FORM 1095-A HEALTH COVERAGE TAX FORM\nDear\nThis letter includes your Form 1095-A, "
        "Health Insurance Marketplace Statement.\nSincerely"
    )
    assert rules.classify_text(letter)[0] is not DocType.FORM_1095_A


def test_the_address_labels_of_an_information_return_are_no_licence_s_city() -> None:
    """Every 1099 prints "city or town, state or province"; OCR reads "or" as "of". That is no
    "City of Austin" title of a business licence."""
    licence = next(s for s in rules.SIGNATURES if s.doc_type is DocType.BUSINESS_LICENSE)
    garbled = "PAYER'S name, street address, city of town, state of province, country, ZIP  1 Rents  2 Royalties"
    assert rules.evidence_for(licence, garbled).score == 0
    assert rules.evidence_for(licence, "CITY OF AUSTIN  Business License  License No. 123").score > 0


def test_an_omb_number_is_found_as_ocr_misreads_it() -> None:
    w2 = next(s for s in rules.SIGNATURES if s.doc_type is DocType.W2)
    for printed in ("OMB No. 1545-0008", "OMB No. 1645-0008", "OMB No. 154S-0008"):
        assert any(re.search(p, printed, re.IGNORECASE) for p in w2.labels), printed
    assert not any(re.search(p, "OMB No. 1545-0112", re.IGNORECASE) for p in w2.labels)

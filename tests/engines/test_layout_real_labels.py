"""The geometry reader on how the real IRS forms print their labels (issue #11): label words kept as
printed, FILER/PAYEE parties, labels over two lines, box letters apart from their label, the K-1's two
name blocks, signed amounts, short codes, spaced and re-read title years, and marks inside a name."""

from __future__ import annotations

from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.field_confidence import field_confidences
from ella_dagster.engines import layout
from ella_dagster.engines.ocr import PageText, Word

H = 20


def words(text: str, left: int, top: int, height: int = H, gap: float = 0.5) -> list[Word]:
    out, x = [], left
    for token in text.split():
        width = int(len(token) * height * 0.55)
        out.append(Word(token, x, top, width, height, 95.0))
        x += width + int(height * gap)
    return out


def page(*phrases: list[Word], title: tuple[Word, ...] = ()) -> PageText:
    all_words = tuple(w for p in phrases for w in p)
    text = " ".join(w.text for w in all_words)
    return PageText(text, all_words, 1000, title_words=title) if title else PageText(text, all_words, 1000)


def test_a_printed_label_word_is_not_fuzzed_into_another_label_word() -> None:
    # "amount" is one edit... two edits from "account": the label must still be found as printed.
    found = layout.read_page(
        DocType.FORM_1099_K,
        page(words("1a Gross amount of payment card/third party", 900, 100), words("52351.08", 1100, 160)),
    )
    assert found["box_1a"].value == "52351.08"


def test_filer_and_payee_are_the_payer_and_the_recipient() -> None:
    rows = [
        words("FILER'S name, street address, city or town", 100, 100),
        words("Acme Pay LLC", 95, 140),
        words("FILER'S TIN", 900, 100),
        words("78-8339622", 920, 140),
        words("PAYEE'S TIN", 900, 220),
        words("875-68-3999", 920, 260),
        words("PAYEE'S name", 100, 400),
        words("Linh H Pham", 95, 440),
    ]
    found = layout.read_page(DocType.FORM_1099_K, page(*rows))
    assert found["payer_tin"].value == "78-8339622"
    assert found["recipient_tin"].value == "875-68-3999"
    assert found["recipient_name"].value == "Linh H Pham"


def test_a_label_printed_over_two_lines_is_found() -> None:
    rows = [
        words("4 Federal income tax", 900, 100),
        words("withheld", 950, 125),
        words("$ 16556.98", 905, 165),
        words("5 Employee contributions", 900, 260),
    ]
    found = layout.read_page(DocType.FORM_1099_R, page(*rows))
    assert found["box_4"].value == "16556.98" and found["box_4"].score == 1.0


def test_a_box_letter_apart_from_its_label_starts_the_cell_and_k1_blocks_are_their_own() -> None:
    # The K-1 prints "B   Partnership's name, address..." and "F   Partner's name, address...": the names
    # start under the letter, left of the label; each block reads its own name.
    rows = [
        words("B", 100, 100),
        words("Partnership's name, address, city, state, and ZIP code", 160, 100),
        words("Cedar Lane Rentals LP", 95, 140),
        words("5793 Maple Ave", 95, 170),
        words("E", 100, 260),
        words("Partner's identifying number", 160, 260),
        words("860-95-7004", 400, 300),
        words("F", 100, 380),
        words("Partner's name, address, city, state, and ZIP code", 160, 380),
        words("Anh V Johnson", 95, 420),
        words("8019 Cedar Ln", 95, 450),
    ]
    found = layout.read_page(DocType.SCHEDULE_K1, page(*rows))
    assert found["partnership_name"].value == "Cedar Lane Rentals LP" and found["partnership_name"].score == 1.0
    assert found["partner_name"].value == "Anh V Johnson" and found["partner_name"].score == 1.0
    assert found["partner_tin"].value == "860-95-7004"


def test_a_loss_keeps_its_minus_sign() -> None:
    rows = [words("1 Ordinary business income (loss)", 900, 100), words("-15,994.93", 1100, 140)]
    rows += [words("2 Net rental real estate income (loss)", 900, 220), words("(1,234.50)", 1100, 260)]
    found = layout.read_page(DocType.SCHEDULE_K1, page(*rows))
    assert found["box_1"].value == "-15994.93"
    assert found["box_2"].value == "-1234.50"


def test_a_one_character_distribution_code_is_read_but_not_trusted() -> None:
    rows = [words("7 Distribution code(s)", 900, 100), words("7", 930, 150), words("8 Other", 1400, 100)]
    found = layout.read_page(DocType.FORM_1099_R, page(*rows))
    assert found["box_7"].value == "7" and found["box_7"].score < 0.9


def test_a_year_printed_with_spaced_digits_is_the_title_year() -> None:
    rows = [words("1 Gross distribution", 900, 100), words("201 3", 1500, 100, 45), words("Rev. 2011", 100, 900)]
    rows += [words("$ 82784.91", 905, 140), words("Evergreen Savings Bank", 95, 140)]
    found = layout.read_page(DocType.FORM_1099_R, page(*rows))
    assert found["tax_year"].value == "2013" and found["tax_year"].score == 1.0


def test_the_title_area_read_again_gives_the_year() -> None:
    rows = [words("1 Interest income", 900, 100), words("OMB No. 1545-0112", 1500, 100), words("Rev. 2011", 100, 900)]
    assert layout.read_page(DocType.FORM_1099_INT, page(*rows))["tax_year"].value == "2011"
    title = (Word("2019", 1520, 140, 200, 60, 91.0),)
    found = layout.read_page(DocType.FORM_1099_INT, page(*rows, title=title))
    assert found["tax_year"].value == "2019" and found["tax_year"].score == 1.0
    blurred = (Word("2019", 1520, 140, 200, 60, 55.0),)
    assert layout.read_page(DocType.FORM_1099_INT, page(*rows, title=blurred))["tax_year"].score < 0.9


def test_a_mark_between_the_words_of_a_name_is_not_trusted() -> None:
    # "Robert I Hoang" with the initial read as "|": the name read is not the whole name.
    rows = [words("RECIPIENT'S name", 100, 100), words("Robert | Hoang", 95, 140), words("Street address", 100, 220)]
    found = layout.read_page(DocType.FORM_1099_G, page(*rows))
    assert found["recipient_name"].value == "Robert Hoang"
    scores = field_confidences(
        DocType.FORM_1099_G, {"recipient_name": "Robert Hoang"}, {"recipient_name": found["recipient_name"].score}
    )
    assert scores["recipient_name"] < 0.9


def test_a_table_rows_amount_printed_a_little_above_its_label_is_read() -> None:
    # The 1095-A's "33 Annual Totals" row: the filled amount sits higher than the printed row label.
    rows = [
        words("32 December", 100, 900),
        words("33 Annual Totals", 100, 1000),
        words("4409.28", 600, 977),
        words("Form 1095-A (2019)", 1200, 1040),
    ]
    found = layout.read_page(DocType.FORM_1095_A, page(*rows))
    assert found["annual_premium"].value == "4409.28"


def test_a_name_ends_where_another_columns_text_starts_and_sub_labels_are_not_the_name() -> None:
    rows = [
        words("F", 100, 380),
        words("Partner's name, address, city, state, and ZIP code", 160, 380),
        words("Mary E Hoang", 95, 420),
        words("9c Unrecaptured section 1250 gain", 1300, 418),  # a label garbled into a value
        words("6513 Elm Ct", 95, 450),
    ]
    assert layout.read_page(DocType.SCHEDULE_K1, page(*rows))["partner_name"].value == "Mary E Hoang"
    # The 2013 W-2 prints "First" and "MI." inside the employee's name cell.
    w2 = [
        words("e Employee's first name and initial", 100, 320),
        words("Last name", 620, 320),
        words("First Minh MI.", 95, 360),
        words("Brown", 620, 360),
        words("f Employee's address and ZIP code", 100, 520),
    ]
    assert layout.read_page(DocType.W2, page(*w2))["employee_name"].value == "Minh Brown"


def test_a_company_named_first_keeps_its_first_word() -> None:
    rows = [words("PAYER'S name, street address", 100, 100), words("First Lotus Bank", 95, 140)]
    rows += [words("PAYER'S TIN", 100, 260)]
    assert layout.read_page(DocType.FORM_1099_INT, page(*rows))["payer_name"].value == "First Lotus Bank"


def test_a_persons_name_read_as_one_word_is_not_trusted() -> None:
    rows = [words("RECIPIENT'S name", 100, 100), words("Brown", 95, 140), words("Street address", 100, 220)]
    assert layout.read_page(DocType.FORM_1099_INT, page(*rows))["recipient_name"].score < 0.9
    rows[1] = words("Linh Brown", 95, 140)
    assert layout.read_page(DocType.FORM_1099_INT, page(*rows))["recipient_name"].score == 1.0


def test_a_value_lower_than_values_sit_is_not_trusted() -> None:
    # Box 2's label lost: box 1's cell reaches box 2's amount, lower than a box's own value sits.
    rows = [words("1 Interest income", 900, 100), words("339.86", 1100, 215), words("3 Interest on U.S.", 900, 400)]
    box_1 = layout.read_page(DocType.FORM_1099_INT, page(*rows))["box_1"]
    assert box_1.value == "339.86" and box_1.score < 0.9
    rows[1] = words("16,992.97", 1100, 140)
    assert layout.read_page(DocType.FORM_1099_INT, page(*rows))["box_1"].score == 1.0


def test_a_box_label_with_a_misread_digit_is_a_border_not_a_name() -> None:
    # 1099-K photo: the payee's name lost, the monthly table's "5a January" read as "Sa January".
    rows = [words("PAYEE'S name", 100, 100), words("Sa January", 100, 160), words("5b February", 600, 160)]
    assert "recipient_name" not in layout.read_page(DocType.FORM_1099_K, page(*rows))


def test_a_label_s_second_line_is_not_the_bottom_of_its_cell() -> None:
    """ "2 State or local income tax" matches on its first line; "refunds, credits, or offsets" under it
    is the same label's wording, not the next box's label: the value further down is the box's."""
    rows = [
        words("2 State or local income tax", 900, 100),
        words("refunds, credits, or offsets", 905, 134),  # the line pitch of the real form: 1.7 heights
        words("$ 993.99", 905, 190),
        words("3 Box 2 amount is for tax year", 900, 300),
    ]
    found = layout.read_page(DocType.FORM_1099_G, page(*rows))
    assert found["box_2"].value == "993.99"

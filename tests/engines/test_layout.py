"""Fields read from their labels' cells by page geometry, on synthetic word boxes and on real IRS layouts."""

from __future__ import annotations

import pytest

from ella_dagster.domain.doc_types import DocType
from ella_dagster.domain.extraction import SCHEMAS
from ella_dagster.domain.field_confidence import field_confidences
from ella_dagster.engines import fields, layout
from ella_dagster.engines.ocr import PageText, Word

H = 20  # text height of the synthetic page, in pixels


def words(text: str, left: int, top: int, height: int = H) -> list[Word]:
    """A phrase as Tesseract gives it: one box per word, a space of half a height between words."""
    out, x = [], left
    for token in text.split():
        width = int(len(token) * height * 0.55)
        out.append(Word(token, x, top, width, height, 95.0))
        x += width + height // 2
    return out


def page(*phrases: list[Word]) -> PageText:
    all_words = tuple(w for p in phrases for w in p)
    return PageText(" ".join(w.text for w in all_words), all_words, 1000)


def w2_top(wages: str = "110,338.36", federal: str = "18,273.89") -> list[list[Word]]:
    # Box 1 and box 2 side by side, their amounts right-aligned, the EIN's cell to their left.
    return [
        words("b Employer identification number (EIN)", 100, 100),
        words("1 Wages, tips, other compensation", 900, 100),
        words("2 Federal income tax withheld", 1400, 100),
        words("45-1203697", 500, 140),
        words(wages, 1380 - len(wages) * 11, 140),
        words(federal, 1880 - len(federal) * 11, 140),
        words("3 Social security wages", 900, 200),
        words("4 Social security tax withheld", 1400, 200),
    ]


def test_adjacent_cells_never_glue_their_digits() -> None:
    found = layout.read_page(DocType.W2, page(*w2_top()))
    assert found["wages"].value == "110338.36" and found["wages"].score == 1.0
    assert found["federal_tax_withheld"].value == "18273.89"
    assert found["employer_ein"].value == "45-1203697"
    # The text lines glue the EIN's last digits and the wages into one line: the cell reader does not.
    assert "4512036971" not in found["wages"].value


def test_a_value_running_across_the_cell_border_scores_low() -> None:
    # The wages token starts in box 1 and ends inside box 2: no clean cell reading.
    rows = w2_top()
    rows[4] = words("110,338.36", 1330, 140)
    found = layout.read_page(DocType.W2, page(*rows))
    assert found["wages"].score < 0.5


def test_stray_characters_in_the_token_score_low() -> None:
    found = layout.read_page(DocType.W2, page(*w2_top(wages="697110,338.36")))
    assert found["wages"].score < 0.5
    scores = field_confidences(DocType.W2, {"wages": found["wages"].value}, {"wages": found["wages"].score})
    assert scores["wages"] < 0.9


def test_a_value_tesseract_is_unsure_of_scores_low() -> None:
    rows = w2_top()
    rows[4] = [Word(w.text, w.left, w.top, w.width, w.height, 34.0) for w in rows[4]]
    found = layout.read_page(DocType.W2, page(*rows))
    assert found["wages"].score <= 0.5 and found["federal_tax_withheld"].score == 1.0
    rows[4] = [Word(w.text, w.left, w.top, w.width, w.height, 72.0) for w in rows[4]]
    wages = layout.read_page(DocType.W2, page(*rows))["wages"]
    assert field_confidences(DocType.W2, {"wages": wages.value}, {"wages": wages.score})["wages"] < 0.9


def test_a_name_split_into_letters_is_read_but_not_trusted() -> None:
    rows = [
        words("RECIPIENT'S name", 100, 100),
        words("Pat rl se Cla W Tra nN", 95, 140),
        words("Street address (including apt. no.)", 100, 220),
    ]
    found = layout.read_page(DocType.FORM_1099_INT, page(*rows))
    assert found["recipient_name"].score < 0.5
    rows[1] = words("Le Minh", 95, 140)
    assert layout.read_page(DocType.FORM_1099_INT, page(*rows))["recipient_name"].score == 1.0


def test_one_token_read_for_two_fields_scores_low() -> None:
    # Box 2 is empty and its cell's estimate reaches box 1's amount: the same words read twice.
    rows = [r for i, r in enumerate(w2_top()) if i != 5]
    rows[4] = words("110,338.36", 1300, 140)
    found = layout.read_page(DocType.W2, page(*rows))
    if "federal_tax_withheld" in found:
        assert found["federal_tax_withheld"].score < 0.5 and found["wages"].score < 0.5


def test_a_repeated_neighbour_value_and_an_invariant_breach_score_low() -> None:
    found, readings = fields.read_fields(DocType.W2, page(*w2_top(federal="110,338.36")))
    scores = field_confidences(DocType.W2, found, readings)
    assert found["federal_tax_withheld"] == found["wages"]
    assert scores["federal_tax_withheld"] < 0.5 <= scores["wages"]


def test_names_are_the_first_line_of_their_block_and_columns_join() -> None:
    rows = [
        words("c Employer's name, address, and ZIP code", 100, 100),
        words("3 Social security wages", 900, 100),
        words("Pacific Northwest Mutual", 95, 140),
        words("2720 Elm Blvd", 95, 170),
        words("d Control number", 100, 260),
        words("e Employee's first name and initial", 100, 320),
        words("Last name", 520, 320),
        words("Suff.", 820, 320),
        words("Thao", 95, 360),
        words("Miller", 520, 360),
        words("f Employee's address and ZIP code", 100, 520),
    ]
    found = layout.read_page(DocType.W2, page(*rows))
    assert found["employer_name"].value == "Pacific Northwest Mutual"
    assert found["employee_name"].value == "Thao Miller"


def test_a_label_continuation_is_not_the_name() -> None:
    rows = [
        words("PAYER'S name, street address, city or town, state or province, country, ZIP", 100, 100),
        words("or foreign postal code, and telephone no.", 100, 125),
        words("Acme Tools Inc", 95, 170),
        words("1 Interest income", 1300, 100),
        words("$ 3,277.42", 1450, 170),
        words("PAYER'S TIN", 100, 300),
        words("RECIPIENT'S TIN", 600, 300),
        words("32-3666133", 200, 340),
        words("254-53-7281", 700, 340),
    ]
    found = layout.read_page(DocType.FORM_1099_INT, page(*rows))
    assert found["payer_name"].value == "Acme Tools Inc"
    assert found["box_1"].value == "3277.42"
    assert (found["payer_tin"].value, found["recipient_tin"].value) == ("32-3666133", "254-53-7281")


def test_the_top_copy_of_a_two_copy_sheet_is_read() -> None:
    top = w2_top()
    bottom = [[Word(w.text, w.left, w.top + 600, w.width, w.height, w.confidence) for w in r] for r in w2_top("9.99")]
    found = layout.read_page(DocType.W2, page(*top, *bottom))
    assert found["wages"].value == "110338.36"


def test_the_title_year_is_the_largest_year_printed() -> None:
    rows = [*w2_top(), words("Form 1099-INT", 100, 20, 40), words("2019", 600, 20, 60), words("Rev. 2017", 900, 20)]
    found = layout.read_page(DocType.FORM_1099_INT, page(*rows))
    assert found["tax_year"].value == "2019"


def test_every_schema_field_has_a_reader() -> None:
    for doc_type, schema in SCHEMAS.items():
        assert fields.reachable(doc_type) == set(schema.field_names), doc_type


def test_a_field_added_to_a_typed_schema_is_read_after_its_label(monkeypatch: pytest.MonkeyPatch) -> None:
    # W-2 boxes 15-17 are read by the text path too, though the W-2's own finder does not know them.
    text = "16 State wages, tips, etc.\n1,234.56\n17 State income tax\n45.67\n"
    found = fields.find_fields(DocType.W2, text)
    assert found["state_wages"] == "1234.56" and found["state_tax"] == "45.67"
    _, readings = fields.read_fields(DocType.W2, text)
    assert readings["state_wages"] == fields.TEXT_READING


@pytest.mark.slow
def test_real_irs_layouts_are_read_by_their_cells() -> None:
    """W-2 and 1099-INT official forms, filled and scanned (real_forms): key fields read, and a field the
    confidence trusts (>= 0.9) is right."""
    import random

    from ella_dagster import real_forms
    from ella_dagster.domain.extraction import merge_pages, schema_for
    from ella_dagster.engines.offline import OfflineEngine

    items = real_forms.real_layout_set(random.Random(11), per_type=2, types=[DocType.W2, DocType.FORM_1099_INT])
    if not items:
        pytest.skip("the shared corpus is not on this machine")
    engine, key, trusted = OfflineEngine(), [], []
    for sample in items:
        extraction = engine.extract(sample.data, sample.mime_type, sample.doc_type)
        found = merge_pages([p.fields for p in extraction.pages])[0]
        scores = field_confidences(sample.doc_type, found, extraction.readings())
        schema = schema_for(sample.doc_type)
        key += [found.get(n) == sample.fields[n] for n in schema.key_fields if n in sample.fields]
        trusted += [found[n] == sample.fields.get(n) for n, s in scores.items() if s >= 0.9]
    # Measured at this commit: key fields 91 %, trusted fields right 29/32 (the goal is 99 %: names on the
    # 2013 layouts are still read with a neighbour's words). A little under, as a regression guard.
    assert sum(key) / len(key) >= 0.85, key
    assert sum(trusted) / len(trusted) >= 0.85, trusted


class _Rereader:
    """A stand-in for ocr.read_region: the words a region reads as on its own, and the regions asked."""

    def __init__(self, text: str, confidence: float = 92.0) -> None:
        self.text, self.confidence, self.asked = text, confidence, []

    def __call__(self, box: tuple[int, int, int, int]) -> list[Word]:
        self.asked.append(box)
        left, top, right, bottom = box
        return [Word(self.text, right - 120, top + 4, 110, H, self.confidence)]


def test_a_garbled_amount_is_read_again_from_its_cell_alone_and_not_trusted() -> None:
    garbled = page(*w2_top(wages="aerre.te"))
    assert "wages" not in layout.read_page(DocType.W2, garbled)
    reread = _Rereader("110,338.36")
    wages = layout.read_page(DocType.W2, garbled, reread)["wages"]
    assert wages.value == "110338.36" and wages.score <= layout.REREAD_SCORE and "re-read" in wages.why
    [(left, top, right, bottom)] = reread.asked  # one region: box 1's value row, inside its cell
    assert top >= 100 + H and bottom <= 200 and left >= 900 - 2 * H and right < 1400
    scores = field_confidences(DocType.W2, {"wages": wages.value}, {"wages": wages.score})
    assert scores["wages"] < 0.9


def test_a_weak_reading_is_replaced_by_a_clean_second_reading_only_when_they_differ() -> None:
    rows = w2_top()
    rows[4] = [Word(w.text, w.left, w.top, w.width, w.height, 34.0) for w in rows[4]]  # unsure OCR
    different = layout.read_page(DocType.W2, page(*rows), _Rereader("116,338.36"))["wages"]
    assert different.value == "116338.36" and different.why == "re-read"
    same = layout.read_page(DocType.W2, page(*rows), _Rereader("110,338.36"))["wages"]
    assert same.value == "110338.36" and same.why == "unsure OCR"
    doubtful = layout.read_page(DocType.W2, page(*rows), _Rereader("116,338.36", confidence=50.0))["wages"]
    assert doubtful.score <= 0.5  # a second reading Tesseract is unsure of gains nothing


def test_only_key_fields_are_read_again_from_an_empty_cell() -> None:
    # Box 3 and 4 are empty, box 1 and 2 (key fields) too: only the key fields' cells are read again.
    rows = [r for i, r in enumerate(w2_top()) if i not in (4, 5)]
    reread = _Rereader("")
    layout.read_page(DocType.W2, page(*rows), reread)
    assert len(reread.asked) == 2  # wages and federal tax withheld, not the social security boxes
    assert all(top >= 100 + H for _, top, _, _ in reread.asked)  # under the labels, never over them


def test_a_speck_inside_a_label_word_does_not_split_the_label() -> None:
    # "RECIPIENT'S" read with a "." inside its own box, then "name": one label all the same.
    label = [Word("RECIPIENT'S", 100, 300, 170, H, 95.0), Word(".", 136, 300, 19, H, 40.0)]
    label += [Word("name", 283, 304, 70, 15, 95.0)]
    found = layout.read_page(DocType.FORM_1099_NEC, page(label, words("Anh Johnson", 100, 340)))
    assert found["recipient_name"].value == "Anh Johnson"


def _big(text: str, left: int, top: int, height: int = 3 * H, gap: float = 0.5) -> list[Word]:
    """Words printed `height` tall (a filled form's auto-sized font), `gap` heights apart."""
    out, x = [], left
    for token in text.split():
        width = int(len(token) * height * 0.55)
        out.append(Word(token, x, top, width, height, 95.0))
        x += width + int(height * gap)
    return out


def test_a_name_read_letter_by_letter_is_read_again_from_its_cell() -> None:
    # Large print whose letter gaps Tesseract took for word gaps: not a label (a border), and read again.
    rows = [words("RECIPIENT'S name", 100, 300), _big("D U C K H Oa Nn", 100, 340), words("Street address", 100, 460)]
    alone = layout.read_page(DocType.FORM_1099_INT, page(*rows))["recipient_name"]
    assert alone.score < 0.5 and alone.why == "read letter by letter"  # never trusted as it is
    reread = _Rereader("Duc K Hoang")
    name = layout.read_page(DocType.FORM_1099_INT, page(*rows), reread)["recipient_name"]
    assert name.value == "Duc K Hoang" and name.score <= layout.REREAD_SCORE
    [(_, top, _, bottom)] = reread.asked
    assert 300 + H <= top <= 340 and bottom >= 340 + 2 * H  # the large row, not the label


def test_an_empty_key_cell_is_read_again_down_to_large_print() -> None:
    # The EIN printed three times the label's height, lost by the page's reading: the region re-read
    # reaches its bottom (the cell ends at the next label).
    rows = [words("PAYER'S federal identification number", 100, 100), words("RECIPIENT'S name", 100, 400)]
    reread = _Rereader("45-1203697")
    found = layout.read_page(DocType.FORM_1099_INT, page(*rows), reread)
    assert found["payer_tin"].value == "45-1203697"
    (_, top, _, bottom), *_ = reread.asked
    assert top >= 100 + H and bottom >= 100 + H + 5 * H


def test_a_title_that_matches_a_box_label_labels_no_box() -> None:
    # The 1099-INT's title "Interest Income", printed large over box 3's amount, is not box 1's label.
    rows = [
        _big("Interest", 900, 40, 2 * H),
        _big("Income", 900, 90, 2 * H),
        words("310.00", 1000, 150),
        words("1 Interest income", 100, 200),
        words("15,500.19", 300, 240),
        words("2 Early withdrawal penalty", 100, 300),
        words("3 Interest on U.S. Savings Bonds", 900, 200),
    ]
    assert layout.read_page(DocType.FORM_1099_INT, page(*rows))["box_1"].value == "15500.19"


def test_a_street_number_printed_large_is_not_the_title_year() -> None:
    rows = [*w2_top(), words("Form 1099-INT", 100, 20), _big("2008 Coder Ln", 100, 400)]
    year = layout.read_page(DocType.FORM_1099_INT, page(*rows)).get("tax_year")
    assert year is None or year.value != "2008" or year.score < 0.9


def test_a_speck_between_a_name_s_words_cuts_nothing() -> None:
    # "Patricia . 8 Garcia ." : a dot and a tiny "8" (no box number: a tenth of the name's height) inside.
    name = [Word("Patricia", 100, 340, 268, 75, 96.0), Word(".", 251, 344, 8, 9, 11.0)]
    name += [Word("8", 312, 344, 7, 9, 43.0), Word("Garcia", 398, 339, 239, 77, 95.0)]
    rows = [words("RECIPIENT'S name", 100, 300), name, words("Street address", 100, 460)]
    assert layout.read_page(DocType.FORM_1099_INT, page(*rows))["recipient_name"].value == "Patricia Garcia"


def test_a_number_read_from_the_lines_that_another_field_s_cell_holds_is_dropped() -> None:
    # PAYER'S TIN and RECIPIENT'S TIN side by side; the payer's EIN lost: the line after the payer's label
    # is the recipient's SSN, which the recipient's own cell holds.
    rows = [
        words("PAYER'S TIN", 100, 100),
        words("RECIPIENT'S TIN", 600, 100),
        words("797-30-7726", 600, 140),
        words("RECIPIENT'S name", 100, 300),
    ]
    found, _ = fields.read_fields(DocType.FORM_1099_INT, page(*rows))
    assert found["recipient_tin"] == "797-30-7726"
    assert found.get("payer_tin") != "797-30-7726"


def test_a_city_line_is_no_name() -> None:
    # The payer's name and street lost by a photo's reading: the block's last line is not the name.
    rows = [words("PAYER'S name, street address, city or town", 100, 300), words("Richmond, VA 23240", 100, 340)]
    rows.append(words("PAYER'S TIN", 100, 460))
    assert "payer_name" not in layout.read_page(DocType.FORM_1099_NEC, page(*rows))
    rows[1] = words("Sunrise Nails Studio", 100, 340)
    assert layout.read_page(DocType.FORM_1099_NEC, page(*rows))["payer_name"].value == "Sunrise Nails Studio"


def test_an_amount_read_as_a_year_and_its_cents_is_not_the_title_year() -> None:
    # "20213.43" printed large beside the form's name, read as "2021 3.43 Form 1099-INT".
    rows = [*w2_top(), _big("2021 3.43 Form 1099-INT", 700, 100), words("For calendar year 2013", 100, 20)]
    year = layout.read_page(DocType.FORM_1099_INT, page(*rows)).get("tax_year")
    assert year is not None and year.value == "2013"


@pytest.mark.parametrize(
    "printed",
    ["4 Reopient's name", "4 Recgrent's name"],  # a possessive repaired; a word past repair, box number kept
)
def test_a_label_s_garbled_first_word_still_finds_its_cell(printed: str) -> None:
    rows = [words(printed, 100, 300), words("Duc Garcia", 100, 330), words("5 Recipient's SSN", 700, 300)]
    rows += [words("7 Recipient's spouse's name", 100, 400), words("2 Markotplace-sssigned policy number", 700, 200)]
    rows.append(words("Q40573930", 700, 230))
    found = layout.read_page(DocType.FORM_1095_A, page(*rows))
    assert found["recipient_name"].value == "Duc Garcia"
    assert found["policy_number"].value == "Q40573930"  # a hyphenated label word repaired part by part


def test_a_word_box_swollen_by_a_rule_does_not_make_its_neighbour_a_speck() -> None:
    # "Tools" read 78 px tall where it touches a rule, "Inc" 24 px: Inc is the name's, not a speck.
    label = words("PAYER'S name, street address, city or town", 100, 300)
    name = [Word("Acme", 100, 346, 87, 63, 93.0), Word("Tools", 206, 335, 81, 78, 93.0)]
    name.append(Word("Inc", 300, 346, 45, 24, 96.0))
    rows = [label, name, words("PAYER'S TIN", 100, 560)]
    assert layout.read_page(DocType.FORM_1099_INT, page(*rows))["payer_name"].value == "Acme Tools Inc"


def test_a_title_beside_a_box_is_not_the_row_read_again() -> None:
    # The 1099-NEC's "Form 1099-NEC" stands right of box 1's label, a little above it; the garbled amount
    # ("$ aires") is under the label: that row is the one read again.
    rows = [words("Form 1099-NEC", 700, 80), words("1 Nonemployee compensation", 100, 100)]
    rows += [words("$", 100, 135), words("aires", 500, 135), words("2 Payer made direct sales", 100, 180)]
    reread = _Rereader("41716.62")
    box_1 = layout.read_page(DocType.FORM_1099_NEC, page(*rows), reread)["box_1"]
    assert box_1.value == "41716.62"
    [(_, top, _, bottom)] = reread.asked
    assert top >= 100 + H and bottom <= 180  # the amount's row, not the title's


def _name_page(name: str) -> PageText:
    """A 1099-NEC recipient's name block: the label, the name, the street under it."""
    rows = [words("RECIPIENT'S name", 100, 300), words(name, 100, 340), words("Street address", 100, 420)]
    return page(*rows, words("1234 Elm St", 100, 460))


def _name_confidence(reading: layout.Reading) -> float:
    return field_confidences(
        DocType.FORM_1099_NEC, {"recipient_name": reading.value}, {"recipient_name": reading.score}
    )["recipient_name"]


def test_a_name_its_second_reading_disagrees_with_is_kept_but_not_trusted() -> None:
    # One letter misread at a high Tesseract confidence ("Jonnson"): no invariant catches it, the name's
    # line read again on its own does.
    trusted = layout.read_page(DocType.FORM_1099_NEC, _name_page("Anh Jonnson"))["recipient_name"]
    assert _name_confidence(trusted) >= 0.9  # one reading alone: trusted
    reread = _Rereader("Anh Johnson")
    name = layout.read_page(DocType.FORM_1099_NEC, _name_page("Anh Jonnson"), reread)["recipient_name"]
    assert name.value == "Anh Jonnson" and name.score <= layout.UNCONFIRMED and "disagrees" in name.why
    assert 0.5 <= _name_confidence(name) < 0.9  # under the trusted line, not under review
    [(left, top, right, bottom)] = reread.asked  # the name's line alone: no label, no street
    assert 300 + H < top <= 340 and 340 + H <= bottom < 420 and left < 100 and right > 100 + 11 * H * 0.55


def test_a_name_its_second_reading_confirms_stays_trusted() -> None:
    for second in ("Anh Johnson", "‘Anh Johnson", "e Anh Johnson |"):  # a border's mark at the line's end
        name = layout.read_page(DocType.FORM_1099_NEC, _name_page("Anh Johnson"), _Rereader(second))
        assert name["recipient_name"].score == 1.0 and _name_confidence(name["recipient_name"]) >= 0.9, second
    for second in ("Anh", "Anh Johnsen", "4124 Oak St"):  # a word lost, a letter read otherwise, another line
        name = layout.read_page(DocType.FORM_1099_NEC, _name_page("Anh Johnson"), _Rereader(second))
        assert _name_confidence(name["recipient_name"]) < 0.9, second
    # A line that reads as nothing on its own is no second reading: the first one stands.
    assert (
        layout.read_page(DocType.FORM_1099_NEC, _name_page("Anh Johnson"), _Rereader(""))["recipient_name"].score == 1
    )


def test_a_name_in_two_columns_is_read_again_as_one_line() -> None:
    rows = [
        words("e Employee's first name and initial", 100, 320),
        words("Last name", 520, 320),
        words("Thao", 95, 360),
        words("Miller", 520, 360),
        words("f Employee's address and ZIP code", 100, 520),
    ]
    reread = _Rereader("Thao Miller")
    name = layout.read_page(DocType.W2, page(*rows), reread)["employee_name"]
    assert name.value == "Thao Miller" and name.score == 1.0
    [(left, _, right, _)] = reread.asked
    assert left < 95 and right > 520 + 6 * H * 0.55  # both columns

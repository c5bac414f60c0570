"""Garbled form words are repaired; people's names are not touched."""

from ella_dagster.engines.lexicon import VOCABULARY, repair

# The 200 most common US given names and surnames (Census), plus names the sample generator uses.
CENSUS_AND_SAMPLE_NAMES = """
James Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew Anthony Donald Steven
Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Jason Edward Jeffrey Jacob Nicholas Jonathan Stephen Justin
Brandon Benjamin Samuel Gregory Alexander Patrick Raymond Dennis Zachary Douglas Jeremy Walter Christian Gerald
Harold Lawrence Gabriel Vincent Patricia Jennifer Elizabeth Barbara Jessica Margaret Kimberly Michelle Melissa
Deborah Stephanie Dorothy Rebecca Cynthia Kathleen Shirley Pamela Nicole Samantha Katherine Christine Carolyn
Catherine Heather Victoria Virginia Christina Jacqueline Kathryn Abigail Isabella Danielle Marilyn Beverly
Charlotte Natalie Theresa Brittany Johnson Williams Rodriguez Martinez Hernandez Gonzalez Anderson Thompson
Robinson Ramirez Campbell Mitchell Phillips Edwards Collins Stewart Morales Gutierrez Peterson Richardson Chavez
Bennett Mendoza Alvarez Castillo Sanders Jimenez Russell Sullivan Coleman Henderson Simmons Patterson Hamilton
Reynolds Griffin Wallace Herrera Aguilar Stevens Marshall Harrison Fernandez McDonald Washington Kennedy Freeman
Crawford Simpson Schmidt Daniels Ferguson Nichols Stephens Gardner Hawkins Elliott Cunningham Armstrong Carroll
Andrews Alvarado Delgado Perkins Hoffman Johnston Matthews Richards Contreras Carpenter Sandoval Nguyen Garcia Pham
Tran Hoang Phan Patricia Sunrise Studio Google Pacific Northwest Holdings Partners
"""
NAMES = CENSUS_AND_SAMPLE_NAMES.split()


def test_garbled_form_words_are_repaired() -> None:
    assert repair("Health insurance Marketniace Statement") == "Health insurance Marketplace Statement"
    assert repair("B Partnerstep's name") == "B Partnership's name"
    assert repair("EMPLOYER IDENTIFICATON NUMBER") == "EMPLOYER IDENTIFICATION NUMBER"


def test_names_amounts_and_short_words_are_left_as_read() -> None:
    assert [repair(name) for name in NAMES] == NAMES
    line = "Robert Garcia 35,139.68 123-45-6789 Tis Nails"
    assert repair(line) == line


def test_the_vocabulary_comes_from_the_rules_and_schemas() -> None:
    assert {"marketplace", "partnership", "compensation", "withheld"} <= set(VOCABULARY)
    assert all(word.isalpha() and word.islower() for word in VOCABULARY)

"""Repair of OCR-garbled form words before the rules read them.

A blurred photo turns "Marketplace" into "Marketniace" and "Partnership's" into "Partnerstep's": every
pattern built on those words then misses. Each long word that is not in the forms' own vocabulary is
replaced by the nearest vocabulary word when it is within a small edit distance. The limits are tight
(words of seven letters or more, one edit up to nine letters, two beyond) so that people's and
companies' names stay as they were read.
"""

from __future__ import annotations

import functools
import re

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ella_dagster.domain.extraction import SCHEMAS
from ella_dagster.engines.rules import NOT_VOCABULARY, OTHER_SIGNATURE, SIGNATURES

MIN_LENGTH = 7  # shorter words are too close to names ("James" is one edit from "names")
_WORD = re.compile(rf"[A-Za-z]{{{MIN_LENGTH},}}")


def _words_of_pattern(pattern: str) -> set[str]:
    plain = re.sub(r"\\[a-zA-Z]", " ", pattern).lower()  # \s, \b, \w are not letters of a word
    return set(re.findall(rf"[a-z]{{{MIN_LENGTH},}}", plain))


def _vocabulary() -> tuple[str, ...]:
    words: set[str] = set()
    for signature in (*SIGNATURES, OTHER_SIGNATURE):
        for pattern in (*signature.titles, *signature.labels, *signature.negatives):
            if pattern not in NOT_VOCABULARY:
                words |= _words_of_pattern(pattern)
    for schema in SCHEMAS.values():
        for spec in schema.fields:
            words |= {w.lower() for w in _WORD.findall(spec.label)}
    return tuple(sorted(words))


VOCABULARY = _vocabulary()
_KNOWN = frozenset(VOCABULARY)


def max_edits(length: int) -> int:
    return 1 if length <= 9 else 2


@functools.lru_cache(maxsize=20_000)
def nearest_word(word: str) -> str | None:
    """The vocabulary word within `max_edits` of `word` (lower case), or None."""
    if word in _KNOWN or word.removesuffix("s") in _KNOWN or f"{word}s" in _KNOWN:
        return word  # a vocabulary word, or its plural or singular ("Partners" in a company name)
    match = process.extractOne(word, VOCABULARY, scorer=Levenshtein.distance, score_cutoff=max_edits(len(word)))
    return match[0] if match else None


def _same_case(template: str, word: str) -> str:
    if template.isupper():
        return word.upper()
    if template[0].isupper():
        return word.capitalize()
    return word


def repair(text: str) -> str:
    """The text with garbled vocabulary words repaired; everything else untouched."""

    def fix(match: re.Match[str]) -> str:
        token = match.group(0)
        nearest = nearest_word(token.lower())
        return token if nearest is None or nearest == token.lower() else _same_case(token, nearest)

    return _WORD.sub(fix, text)

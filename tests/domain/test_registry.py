"""The document-type registry: every type whole, an incomplete spec refused when it is registered."""

import dataclasses
import random

import pytest

from ella_dagster import samples
from ella_dagster.domain.doc_types import REGISTRY, Category, DocType, RegistryError, spec_for
from ella_dagster.domain.doc_types.registry import Registry
from ella_dagster.domain.doc_types.spec import DocTypeSpec, Signature
from ella_dagster.domain.extraction import SCHEMAS
from ella_dagster.engines import fields, prompts, rules


def test_every_type_has_one_complete_spec() -> None:
    assert [s.doc_type for s in REGISTRY] and {s.doc_type for s in REGISTRY} == set(DocType)
    for spec in REGISTRY:
        assert spec.description and isinstance(spec.category, Category)
        assert spec.evidence is not None or spec.doc_type is DocType.UNKNOWN


def test_the_engines_tables_are_the_registry_s() -> None:
    assert {s.doc_type for s in rules.SIGNATURES} == {s.doc_type for s in REGISTRY if s.evidence} - {DocType.OTHER}
    assert rules.OTHER_SIGNATURE is spec_for(DocType.OTHER).evidence
    assert all(SCHEMAS[t] is spec_for(t).schema for t in SCHEMAS)
    assert {s.doc_type: s.source_field for s in REGISTRY if s.source_field} == fields.SOURCE_FIELD
    assert all(spec_for(t).description in prompts.classification_prompt() for t in DocType)


def test_every_type_but_unknown_has_a_sample_generator() -> None:
    drawn = {s.doc_type for s in samples.every_type(random.Random(1), 2024)}
    assert drawn == set(DocType) - {DocType.UNKNOWN}


W2 = spec_for(DocType.W2)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"source_field": "employer_nmae"}, "source field employer_nmae is not in the schema"),
        ({"rates": (("medicare_tax", "medicare_wage", 0.0145),)}, "rate field medicare_wage is not in the schema"),
        ({"has_tax_year": False}, "a tax_year field on a type without a tax year"),
        ({"description": " "}, "no description"),
        ({"evidence": None}, "no evidence"),
        ({"evidence": spec_for(DocType.FORM_1099_INT).evidence}, "its evidence is FORM_1099_INT's"),
        ({"evidence": Signature(DocType.W2, (r"w-?2(",), (r"wages",))}, "does not compile"),
        ({"evidence": Signature(DocType.W2, (r"w-?2",), (r"wages",), enough=3)}, "enough=3"),
        ({"schema": None}, "a source field given but the type is not extracted"),
        ({"schema": spec_for(DocType.FORM_1099_NEC).schema}, "its schema is FORM_1099_NEC's"),
    ],
)
def test_an_incomplete_spec_is_refused_at_registration(change: dict, problem: str) -> None:
    with pytest.raises(RegistryError, match=problem):
        Registry([dataclasses.replace(W2, **change)])


def test_a_type_without_a_spec_or_with_two_is_an_error() -> None:
    partial = Registry(s for s in REGISTRY if s.doc_type is not DocType.FORM_1098_T)
    with pytest.raises(RegistryError, match="without a spec: FORM_1098_T"):
        partial.require_complete()
    with pytest.raises(RegistryError, match="registered twice"):
        partial.register(W2)


def test_a_spec_is_plain_data() -> None:
    assert isinstance(W2, DocTypeSpec) and dataclasses.is_dataclass(W2)
    assert W2.extracted and not spec_for(DocType.RECEIPT).extracted

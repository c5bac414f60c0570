"""The registry of document types: every spec is checked when it is registered, and the registry must
hold every `DocType` — a type added by half fails at import, not as a KeyError in a run."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ella_dagster.domain.doc_types.names import DocType
from ella_dagster.domain.doc_types.spec import KIND_PATTERNS, DocTypeSpec

# The one type no evidence leads to: the engines answer it when nothing else has enough.
FALLBACK = DocType.UNKNOWN


class RegistryError(ValueError):
    """A document type's spec is incomplete or contradicts itself."""


def problems_of(spec: DocTypeSpec) -> list[str]:
    """What is missing or inconsistent in one spec (empty when it is complete)."""
    found: list[str] = []
    if not spec.description.strip():
        found.append("no description for the vision model")
    evidence = spec.evidence
    if evidence is None:
        if spec.doc_type is not FALLBACK:
            found.append("no evidence: the offline engine could never answer this type")
    else:
        if evidence.doc_type is not spec.doc_type:
            found.append(f"its evidence is {evidence.doc_type}'s")
        if not evidence.titles or not evidence.labels:
            found.append("evidence needs titles and labels")
        if evidence.enough is not None and not 0 < evidence.enough <= len(evidence.labels):
            found.append(f"evidence enough={evidence.enough} is not between 1 and its {len(evidence.labels)} labels")
        for pattern in evidence.patterns:
            try:
                re.compile(pattern, re.IGNORECASE)
            except re.error as error:
                found.append(f"evidence pattern does not compile ({error})")
    found += _schema_problems(spec)
    return found


def _schema_problems(spec: DocTypeSpec) -> list[str]:
    schema = spec.schema
    if schema is None:
        return [f"{what} given but the type is not extracted" for what in _field_facts(spec) if what]
    found = []
    if schema.doc_type is not spec.doc_type:
        found.append(f"its schema is {schema.doc_type}'s")
    names = schema.field_names
    if len(set(names)) != len(names):
        found.append("a field name appears twice in the schema")
    found += [f"field {f.name} has an unknown kind {f.kind!r}" for f in schema.fields if f.kind not in KIND_PATTERNS]
    if not schema.key_fields:
        found.append("the schema has no key field")
    referred = {
        "identity": set(schema.identity),
        "alias": set(schema.aliases.values()),
        "source": {spec.source_field} if spec.source_field else set(),
        "rate": {n for rate in spec.rates for n in rate[:2]},
        "bound": {n for name, base, _ in spec.bounds for n in (name, base) if isinstance(n, str)},
    }
    for what, fields in referred.items():
        found += [f"{what} field {name} is not in the schema" for name in sorted(fields - set(names))]
    if not spec.has_tax_year and "tax_year" in names:
        found.append("a tax_year field on a type without a tax year")
    return found


def _field_facts(spec: DocTypeSpec) -> Iterator[str]:
    yield "a source field" if spec.source_field else ""
    yield "amount rates" if spec.rates else ""
    yield "amount bounds" if spec.bounds else ""


class Registry:
    def __init__(self, specs: Iterable[DocTypeSpec] = ()) -> None:
        self._specs: dict[DocType, DocTypeSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: DocTypeSpec) -> DocTypeSpec:
        if spec.doc_type in self._specs:
            raise RegistryError(f"{spec.doc_type} is registered twice")
        problems = problems_of(spec)
        if problems:
            raise RegistryError(f"{spec.doc_type}: " + "; ".join(problems))
        self._specs[spec.doc_type] = spec
        return spec

    def require_complete(self) -> None:
        missing = [t.value for t in DocType if t not in self._specs]
        if missing:
            raise RegistryError(f"document types without a spec: {', '.join(missing)}")

    def __getitem__(self, doc_type: DocType | str) -> DocTypeSpec:
        return self._specs[DocType(doc_type)]

    def __iter__(self) -> Iterator[DocTypeSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

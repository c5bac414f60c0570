"""Prompts and response schemas for a vision model (Gemini). Bump PROMPT_VERSION on any change:
it is part of the engine version, so the UI shows which classifications are out of date."""

from __future__ import annotations

from typing import Any

from ella_dagster.domain.doc_types import DocType, category_of, spec_for
from ella_dagster.domain.extraction import DocumentSchema

PROMPT_VERSION = "prompts-1"
ALTERNATIVES_BELOW = 0.80


def classification_prompt() -> str:
    types = "\n".join(f"- {t.value} ({category_of(t).value}): {spec_for(t).description}" for t in DocType)
    return f"""CLASSIFY this document uploaded by a client of a US tax-preparation firm.

Answer with exactly one of these document types (category in brackets):
{types}

Confidence must be calibrated, it decides what staff see:
- 0.85 to 0.95: the form title or its unmistakable layout is visible and readable.
- 0.60 to 0.84: probably this type, but the title is cut off, blurred or partly hidden.
- below 0.60: a guess; below 0.30 use UNKNOWN.
Never answer above 0.95. Pay stubs are not W-2s; mortgage statements are not 1098s; credit card
statements are not bank statements; W-9 and Form 1040 are OTHER, not 1099s.
Names may be Vietnamese, family name first and often in capitals (NGUYEN VAN AN).
Give the tax year printed on the form, and the source (employer, payer, bank or issuer) if printed.
When confidence is below {ALTERNATIVES_BELOW:.2f}, list up to three alternative types with their confidence.
Explain your reasoning in one sentence without copying any identification number."""


def classification_schema() -> dict[str, Any]:
    types = [t.value for t in DocType]
    return {
        "type": "object",
        "properties": {
            "docType": {"type": "string", "enum": types},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "reasoning": {"type": "string"},
            "taxYear": {"type": ["integer", "null"]},
            "source": {"type": ["string", "null"]},
            "alternatives": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "docType": {"type": "string", "enum": types},
                        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                    },
                    "required": ["docType", "confidence"],
                },
            },
        },
        "required": ["docType", "confidence", "reasoning"],
    }


def extraction_prompt(schema: DocumentSchema) -> str:
    fields = "\n".join(f"- {f.name}: box '{f.label}' ({f.kind})" for f in schema.fields)
    return f"""EXTRACT {schema.doc_type.value} fields (schema {schema.version}) from this page.

Return a JSON object with only these keys; use null for anything not printed on this page:
{fields}
Money as a plain decimal string with two decimals and no $ or commas (52340.17). Dates as YYYY-MM-DD.
SSNs as 123-45-6789, EINs as 12-3456789. Copy values exactly as printed; never guess."""


def repair_prompt(errors: list[str]) -> str:
    return (
        "Your previous answer did not match the required JSON schema (" + "; ".join(errors[:5]) + "). "
        "Answer again with JSON that matches the schema exactly."
    )

"""The real-layout set's truth covers every schema field the form prints, including one printed as
several boxes (the W-2's employee name: its first-name and last-name columns)."""

from __future__ import annotations

import random

from ella_dagster import real_forms
from ella_dagster.domain.doc_types import DocType


def test_the_w2_employee_name_is_in_the_truth_as_its_columns_print_it() -> None:
    for layout in (x for x in real_forms.LAYOUTS if x.doc_type is DocType.W2):
        filled = real_forms.fill(layout, random.Random(3))
        column = {template: name for name, template in layout.fields.items()}
        first = filled.form_values[column["{employee_first}"]]
        last = filled.form_values[column["{employee_last}"]]
        assert first and last
        assert filled.truth["employee_name"] == f"{first} {last}", layout.name

"""ella_dagster: a Dagster code location for tax-document intake."""

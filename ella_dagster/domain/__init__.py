"""Domain rules with no Dagster import: types, routing, naming, confidence, masking, uploads."""

"""The per-document steps as plain functions over a database, a store and an engine.

The Dagster assets call these; so do the benchmarks' plain loop and the tests.
"""

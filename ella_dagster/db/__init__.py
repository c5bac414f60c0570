"""Persistence: SQLAlchemy models, Alembic migrations and the pipeline's unit-of-work operations."""

"""Alembic migrations of the Velox schema (run them with ``velox db upgrade``)."""

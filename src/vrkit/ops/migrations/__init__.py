"""Alembic migrations of the operational database (script location ``vrkit.ops:migrations``)."""

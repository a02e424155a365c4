"""The operational database: users, organisations, roles, area scopes, API tokens, web sessions,
the append-only audit log, ISTV submissions and the job queue (SQLAlchemy 2 + Alembic).

PostgreSQL in production and in the tests; a SQLite file is the embedded default so that
``vrkit serve`` works on a laptop with nothing else installed. Analytics never live here: they
stay in the DuckDB warehouse (:mod:`vrkit.store`).
"""

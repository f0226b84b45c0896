"""Alembic environment: runs on the connection the API hands over (see migrations.upgrade)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `vault03 migrate` or the API's start-up")

context.configure(
    connection=connection,
    # The migrations in versions/ are written by hand: alembic compares against no models.
    target_metadata=None,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()

"""Alembic's entry point: migrations run on the connection :func:`commissioning.web.db.migrate` passes."""

from alembic import context

from commissioning.web.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment: runs on the connection that `storage.db` hands in."""

from alembic import context

from storage.audit_models import Base  # through the audit tables: every table is in its metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through storage.db.Database.migrate()")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

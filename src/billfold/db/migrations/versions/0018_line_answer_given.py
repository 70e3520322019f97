"""line_items.answer written by the trigger only when the insert does not bring it (PostgreSQL)

The trigger of migration 0014 wrote every inserted line's answer. PL/pgSQL sets its expression (3,687
characters of SQL) up again in each transaction that runs it: one add's line insert took 0.41 ms with the
trigger and 0.31 ms without (pgbench, the insert alone), while the expression evaluates in ~6 µs once set
up (an add is a transaction of its own). An add already renders its line's answer for the
client, so it now sends that answer with the line's insert (``Repository.keep_answer``; the very bytes
the trigger writes, which ``tests/api/test_invoice_answers.py`` holds); the trigger writes it only when an
insert brings none (a bulk create, an import), and on every update, as before. Nothing on SQLite.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER line_items_answer ON line_items")
    op.execute(
        "CREATE TRIGGER line_items_answer BEFORE INSERT ON line_items"
        " FOR EACH ROW WHEN (NEW.answer IS NULL) EXECUTE FUNCTION billfold_line_answer()"
    )
    op.execute(
        "CREATE TRIGGER line_items_answer_update BEFORE UPDATE ON line_items"
        " FOR EACH ROW EXECUTE FUNCTION billfold_line_answer()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER line_items_answer_update ON line_items")
    op.execute("DROP TRIGGER line_items_answer ON line_items")
    op.execute(
        "CREATE TRIGGER line_items_answer BEFORE INSERT OR UPDATE ON line_items"
        " FOR EACH ROW EXECUTE FUNCTION billfold_line_answer()"
    )

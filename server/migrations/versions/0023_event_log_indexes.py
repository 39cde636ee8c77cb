"""event_log: drop the indexes on ``session_id`` and ``(session_id, type)``: the
unique ``(session_id, seq)`` index serves every read by session, and each extra
index cost every insert (a round opening's 1,200 rows: ~1.8 ms of ~8.4 on SQLite)
(issue 19)

Revision ID: 0023_event_log_indexes
Revises: 0022_listener_samples
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023_event_log_indexes"
down_revision: str | None = "0022_listener_samples"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event_log", schema=None) as batch_op:
        batch_op.drop_index("ix_event_log_session_type")
        batch_op.drop_index("ix_event_log_session_id")


def downgrade() -> None:
    with op.batch_alter_table("event_log", schema=None) as batch_op:
        batch_op.create_index("ix_event_log_session_id", ["session_id"], unique=False)
        batch_op.create_index("ix_event_log_session_type", ["session_id", "type"], unique=False)

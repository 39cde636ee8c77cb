"""event_log.person_id: the person a room.moved or listening.changed moves, indexed,
so that a resume reads one person's moves (issue 19); filled in for stored events

Revision ID: 0018_event_person
Revises: 0017_placements
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_event_person"
down_revision: str | None = "0017_placements"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACED = "('room.moved', 'listening.changed')"


def upgrade() -> None:
    with op.batch_alter_table("event_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.String(length=36), nullable=True))
        batch_op.create_index(
            "ix_event_log_session_person", ["session_id", "person_id", "seq"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        person = "data->>'person_id'"
    else:
        person = "json_extract(data, '$.person_id')"
    op.execute(f"UPDATE event_log SET person_id = {person} WHERE type IN {PLACED}")


def downgrade() -> None:
    with op.batch_alter_table("event_log", schema=None) as batch_op:
        batch_op.drop_index("ix_event_log_session_person")
        batch_op.drop_column("person_id")

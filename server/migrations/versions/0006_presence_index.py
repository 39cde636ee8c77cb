"""presence lookups by session and person

Revision ID: 0006
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("presence_leases", schema=None) as batch_op:
        batch_op.create_index("ix_presence_session_person", ["session_id", "person_id"])


def downgrade() -> None:
    with op.batch_alter_table("presence_leases", schema=None) as batch_op:
        batch_op.drop_index("ix_presence_session_person")

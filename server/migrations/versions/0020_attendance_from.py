"""sessions.attendance_from: the first move attendance has not counted yet, so that a
round opening's thousand tally updates leave the opening's transaction (issue 19)

Revision ID: 0020_attendance_from
Revises: 0019_webhooks_stamp
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_attendance_from"
down_revision: str | None = "0019_webhooks_stamp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attendance_from", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("attendance_from")

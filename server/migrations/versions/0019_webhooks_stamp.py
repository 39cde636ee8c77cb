"""sessions.webhooks_stamp: moved when a webhook of the session's event is added or
removed, so that a command finds out from the row it locks whether its process's copy
of the event's webhooks still holds (issue 19)

Revision ID: 0019_webhooks_stamp
Revises: 0018_event_person
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_webhooks_stamp"
down_revision: str | None = "0018_event_person"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("webhooks_stamp", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("webhooks_stamp")

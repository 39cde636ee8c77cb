"""process_heartbeats: one row per serving process; presence leases lose their own
expiry and hold while their process's heartbeat does, so that renewing presence
writes one row per process, not one per connection (issue 19)

Revision ID: 0021_process_heartbeats
Revises: 0020_attendance_from
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.db

revision: str = "0021_process_heartbeats"
down_revision: str | None = "0020_attendance_from"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # leases written before this have no heartbeat: the first sweep ends them, and
    # their sockets' processes (older code) are expected to be stopped by then
    op.create_table(
        "process_heartbeats",
        sa.Column("instance_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("expires_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("instance_id"),
    )
    with op.batch_alter_table("presence_leases", schema=None) as batch_op:
        batch_op.drop_index("ix_presence_leases_expires_at")
        batch_op.drop_column("expires_at")


def downgrade() -> None:
    with op.batch_alter_table("presence_leases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "expires_at",
                server.db.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.text("'1970-01-01 00:00:00'"),
            )
        )
        batch_op.create_index("ix_presence_leases_expires_at", ["expires_at"], unique=False)
    op.drop_table("process_heartbeats")

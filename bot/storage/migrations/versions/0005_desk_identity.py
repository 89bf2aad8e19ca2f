"""Support desk: agents by id (name kept for display), a timeout per handoff, relayed copies of agent replies.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("claimed_by_name", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("handed_off_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("support_messages") as batch:
        batch.add_column(sa.Column("relayed_chat_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("relayed_message_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("support_messages") as batch:
        batch.drop_column("relayed_message_id")
        batch.drop_column("relayed_chat_id")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("handed_off_at")
        batch.drop_column("claimed_by_name")

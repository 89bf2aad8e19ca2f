"""Proactive messages: a shopper's opt-out of reminders, and which bookings were reminded of their ship-by day.

Revision ID: 0010_reminders
Revises: 0008_booking_status
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_reminders"
down_revision = "0009_web_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("reminders_stopped_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.drop_column("reminded_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("reminders_stopped_at")

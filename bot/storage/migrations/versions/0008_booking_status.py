"""A booking's progress as the back office reports it, its ship-by day and the counteroffer it made.

Revision ID: 0008_booking_status
Revises: 0007_booking_id
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_booking_status"
down_revision = "0007_booking_id"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("booking_status", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("ship_by", sa.Date(), nullable=True))
        batch.add_column(sa.Column("counteroffer_usd", sa.Numeric(10, 2), nullable=True))
    op.execute("UPDATE quotes SET booking_status = 'booked' WHERE booking_id IS NOT NULL")  # bookings made before


def downgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.drop_column("counteroffer_usd")
        batch.drop_column("ship_by")
        batch.drop_column("booking_status")

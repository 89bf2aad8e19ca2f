"""A booked trade-in's own id (sent to the back office; it cannot be derived from the quote id).

Revision ID: 0007_booking_id
Revises: 0006_outbox
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_booking_id"
down_revision = "0006_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("booking_id", sa.String(length=32), nullable=True))
        batch.create_index("ix_quotes_booking_id", ["booking_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.drop_index("ix_quotes_booking_id")
        batch.drop_column("booking_id")

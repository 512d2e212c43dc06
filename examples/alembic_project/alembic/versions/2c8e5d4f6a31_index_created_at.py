"""index created_at

Revision ID: 2c8e5d4f6a31
Revises: 7f3a1c2b9d10
Create Date: 2024-03-04 16:40:27.118342

"""
from alembic import op
import sqlalchemy as sa

revision = '2c8e5d4f6a31'
down_revision = '7f3a1c2b9d10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_events_created_at', 'events', ['created_at'])


def downgrade():
    op.drop_index('ix_events_created_at', table_name='events')

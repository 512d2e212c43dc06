"""create events

Revision ID: 7f3a1c2b9d10
Revises:
Create Date: 2024-02-12 09:14:03.512904

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '7f3a1c2b9d10'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    # The original Event model: uuid1 ids, the raw event and the processing results as JSON.
    op.create_table(
        'events',
        sa.Column('id', postgresql.UUID(as_uuid=True).with_variant(sa.CHAR(36), 'sqlite'),
                  primary_key=True),
        sa.Column('data', sa.JSON(), nullable=True),
        sa.Column('task_context', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
    )


def downgrade():
    op.drop_table('events')

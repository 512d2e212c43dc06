"""data not null

Revision ID: b91d0e7c4f58
Revises: 2c8e5d4f6a31
Create Date: 2024-05-21 11:02:45.907113

"""
from alembic import op
import sqlalchemy as sa

revision = 'b91d0e7c4f58'
down_revision = '2c8e5d4f6a31'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE events SET data = '{}' WHERE data IS NULL")
    # SQLite cannot alter a column: batch mode copies the table.
    with op.batch_alter_table('events') as batch:
        batch.alter_column('data', existing_type=sa.JSON(), nullable=False)


def downgrade():
    with op.batch_alter_table('events') as batch:
        batch.alter_column('data', existing_type=sa.JSON(), nullable=True)

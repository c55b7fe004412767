"""Codes from a Verify provider: one_time_code.provider_ref, the provider's verification id.

With CODE_PROVIDER=twilio-verify or telnyx-verify the row keeps the verification id (and an
empty code_hash) instead of our code's HMAC; it is NULL for our own codes. No existing row
changes.

Revision ID: a8b9c0d1e2f3
Revises: b9c0d1e2f3a4
Create Date: 2026-11-22

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a8b9c0d1e2f3'
down_revision = 'b9c0d1e2f3a4'
branch_labels = None
depends_on = None


def upgrade():
    """Add the column and its index."""
    with op.batch_alter_table('one_time_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_ref', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_one_time_code_provider_ref'), ['provider_ref'],
                              unique=False)


def downgrade():
    """Drop them again."""
    with op.batch_alter_table('one_time_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_one_time_code_provider_ref'))
        batch_op.drop_column('provider_ref')

"""Security keys and passkeys: the security_key and webauthn_challenge tables.

security_key holds each account's WebAuthn credentials (id, public key, use counter,
transports); webauthn_challenge holds the challenges handed to browsers, each for one account,
purpose and session, used once and short-lived. No existing row changes.

Revision ID: f7a8b9c0d1e2
Revises: d5e6f7a8b9c0
Create Date: 2026-11-22

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f7a8b9c0d1e2'
down_revision = 'd5e6f7a8b9c0'
branch_labels = None
depends_on = None


def upgrade():
    """Add the two tables."""
    op.create_table('security_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('credential_id', sa.LargeBinary(length=1023), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.Integer(), nullable=False),
    sa.Column('transports', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('security_key_user_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('security_key_pkey')),
    sa.UniqueConstraint('credential_id', name=op.f('security_key_credential_id_key'))
    )
    with op.batch_alter_table('security_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_key_user_id'), ['user_id'], unique=False)

    op.create_table('webauthn_challenge',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=8), nullable=False),
    sa.Column('bound_to', sa.String(length=64), nullable=False),
    sa.Column('challenge', sa.LargeBinary(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('webauthn_challenge_user_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('webauthn_challenge_pkey'))
    )
    with op.batch_alter_table('webauthn_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webauthn_challenge_expires_at'), ['expires_at'], unique=False)


def downgrade():
    """Drop them again."""
    with op.batch_alter_table('webauthn_challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webauthn_challenge_expires_at'))

    op.drop_table('webauthn_challenge')
    with op.batch_alter_table('security_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_key_user_id'))

    op.drop_table('security_key')
"""Baseline: the schema exactly as create_all made it before migrations existed.

env.py stamps a database made that way with this revision, so it is upgraded from here.

Revision ID: a1b2c3d4e5f6
Revises: 
Create Date: 2026-11-22

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a1b2c3d4e5f6'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    """Create every table of the first release."""
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('audit_event_pkey'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_user_id'), ['user_id'], unique=False)

    op.create_table('failed_guess',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('failed_guess_pkey'))
    )
    with op.batch_alter_table('failed_guess', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_failed_guess_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_failed_guess_user_id'), ['user_id'], unique=False)

    op.create_table('send_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('send_event_pkey'))
    )
    with op.batch_alter_table('send_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_send_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_send_event_ip'), ['ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_send_event_prefix'), ['prefix'], unique=False)
        batch_op.create_index(batch_op.f('ix_send_event_user_id'), ['user_id'], unique=False)

    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('preferred_channel', sa.String(length=8), nullable=False),
    sa.Column('phone_confirmed', sa.Boolean(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('user_pkey')),
    sa.UniqueConstraint('username', name=op.f('user_username_key'))
    )
    op.create_table('login_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('login_session_user_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('login_session_pkey'))
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_user_id'), ['user_id'], unique=False)

    op.create_table('pending_login',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=8), nullable=False),
    sa.Column('next_url', sa.String(length=512), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('pending_login_user_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pending_login_pkey'))
    )
    op.create_table('one_time_code',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('pending_id', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=8), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('twilio_sid', sa.String(length=64), nullable=True),
    sa.Column('delivery_status', sa.String(length=16), nullable=True),
    sa.Column('call_token', sa.String(length=64), nullable=True),
    sa.Column('call_token_used', sa.Boolean(), nullable=False),
    sa.Column('call_code_sealed', sa.String(length=6), nullable=True),
    sa.ForeignKeyConstraint(['pending_id'], ['pending_login.id'], name=op.f('one_time_code_pending_id_fkey')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('one_time_code_user_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('one_time_code_pkey')),
    sa.UniqueConstraint('call_token', name=op.f('one_time_code_call_token_key'))
    )
    with op.batch_alter_table('one_time_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_one_time_code_pending_id'), ['pending_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_one_time_code_twilio_sid'), ['twilio_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_one_time_code_user_id'), ['user_id'], unique=False)



def downgrade():
    """Drop every table."""
    with op.batch_alter_table('one_time_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_one_time_code_user_id'))
        batch_op.drop_index(batch_op.f('ix_one_time_code_twilio_sid'))
        batch_op.drop_index(batch_op.f('ix_one_time_code_pending_id'))

    op.drop_table('one_time_code')
    op.drop_table('pending_login')
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_session_user_id'))

    op.drop_table('login_session')
    op.drop_table('user')
    with op.batch_alter_table('send_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_send_event_user_id'))
        batch_op.drop_index(batch_op.f('ix_send_event_prefix'))
        batch_op.drop_index(batch_op.f('ix_send_event_ip'))
        batch_op.drop_index(batch_op.f('ix_send_event_at'))

    op.drop_table('send_event')
    with op.batch_alter_table('failed_guess', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failed_guess_user_id'))
        batch_op.drop_index(batch_op.f('ix_failed_guess_at'))

    op.drop_table('failed_guess')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))

    op.drop_table('audit_event')

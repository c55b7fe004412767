"""Indexes for every sign-in query and for pruning; the development outbox table.

Limits count rows by (key, time), so those columns get composite indexes that replace the
single-column ones; the outbox moves from process memory to the database so that every
worker and instance shows what it sent.

Revision ID: b7e1c0d2f3a4
Revises: a1b2c3d4e5f6
Create Date: 2026-11-22

"""
import sqlalchemy as sa
from alembic import op

# A frozen copy of twofactor.extensions.NAMING_CONVENTION: a migration never changes later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "%(table_name)s_%(column_0_name)s_key",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}

# revision identifiers, used by Alembic.
revision = 'b7e1c0d2f3a4'
down_revision = 'a1b2c3d4e5f6'
branch_labels = None
depends_on = None


def upgrade():
    """Add the outbox table and swap single-column indexes for (key, time) ones."""
    if op.get_bind().dialect.name == "sqlite":
        # create_all left SQLite's UNIQUE constraints unnamed; copying each table through the
        # naming convention names them as the models do (and as PostgreSQL always did).
        for table in ("user", "one_time_code"):
            with op.batch_alter_table(table, recreate="always",
                                      naming_convention=NAMING_CONVENTION):
                pass
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('to', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('twiml', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('outbox_message_pkey'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_at'), ['at'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_user_id'))
        batch_op.create_index('ix_audit_event_user_id_at', ['user_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_username'), ['username'], unique=False)

    with op.batch_alter_table('failed_guess', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failed_guess_user_id'))
        batch_op.create_index('ix_failed_guess_user_id_at', ['user_id', 'at'], unique=False)

    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_last_seen'), ['last_seen'], unique=False)

    with op.batch_alter_table('one_time_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_one_time_code_user_id'))
        batch_op.create_index('ix_one_time_code_user_id_purpose', ['user_id', 'purpose'], unique=False)

    with op.batch_alter_table('pending_login', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_login_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('send_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_send_event_ip'))
        batch_op.drop_index(batch_op.f('ix_send_event_prefix'))
        batch_op.drop_index(batch_op.f('ix_send_event_user_id'))
        batch_op.create_index('ix_send_event_ip_at', ['ip', 'at'], unique=False)
        batch_op.create_index('ix_send_event_prefix_at', ['prefix', 'at'], unique=False)
        batch_op.create_index('ix_send_event_user_id_at', ['user_id', 'at'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_created_at'), ['created_at'], unique=False)



def downgrade():
    """Back to the baseline's indexes, without the outbox."""
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_created_at'))

    with op.batch_alter_table('send_event', schema=None) as batch_op:
        batch_op.drop_index('ix_send_event_user_id_at')
        batch_op.drop_index('ix_send_event_prefix_at')
        batch_op.drop_index('ix_send_event_ip_at')
        batch_op.create_index(batch_op.f('ix_send_event_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_send_event_prefix'), ['prefix'], unique=False)
        batch_op.create_index(batch_op.f('ix_send_event_ip'), ['ip'], unique=False)

    with op.batch_alter_table('pending_login', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_login_expires_at'))

    with op.batch_alter_table('one_time_code', schema=None) as batch_op:
        batch_op.drop_index('ix_one_time_code_user_id_purpose')
        batch_op.create_index(batch_op.f('ix_one_time_code_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_session_last_seen'))

    with op.batch_alter_table('failed_guess', schema=None) as batch_op:
        batch_op.drop_index('ix_failed_guess_user_id_at')
        batch_op.create_index(batch_op.f('ix_failed_guess_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_username'))
        batch_op.drop_index('ix_audit_event_user_id_at')
        batch_op.create_index(batch_op.f('ix_audit_event_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_at'))

    op.drop_table('outbox_message')

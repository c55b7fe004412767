"""Second factors: authenticator apps, backup codes, step-up, the usual factor.

Adds the authenticator_app and backup_code tables; when each session last proved a second
factor (step-up); which factors a pending step has proved (recovery needs two); each account's
usual factor and when a second factor last worked, filled from the codes already used.

Revision ID: d5e6f7a8b9c0
Revises: c4d5e6f7a8b9
Create Date: 2026-11-22

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd5e6f7a8b9c0'
down_revision = 'c4d5e6f7a8b9'
branch_labels = None
depends_on = None


def upgrade():
    """Add the factor tables and columns."""
    op.create_table('authenticator_app',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret_sealed', sa.Text(), nullable=False),
    sa.Column('last_step', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('enabled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('authenticator_app_user_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('authenticator_app_pkey')),
    sa.UniqueConstraint('user_id', name=op.f('authenticator_app_user_id_key'))
    )
    op.create_table('backup_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('backup_code_user_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('backup_code_pkey'))
    )
    with op.batch_alter_table('backup_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_backup_code_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('factor_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('pending_login', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proved', sa.String(length=32), server_default='', nullable=False))

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('usual_factor', sa.String(length=16), server_default='phone', nullable=False))
        batch_op.add_column(sa.Column('factor_ok_at', sa.DateTime(), nullable=True))

    # A right code used before this revision still ends a run of wrong ones.
    op.execute('''UPDATE "user" SET factor_ok_at = (SELECT max(used_at) FROM one_time_code
                  WHERE one_time_code.user_id = "user".id)''')


def downgrade():
    """Drop them again."""
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('factor_ok_at')
        batch_op.drop_column('usual_factor')

    with op.batch_alter_table('pending_login', schema=None) as batch_op:
        batch_op.drop_column('proved')

    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_column('factor_at')

    with op.batch_alter_table('backup_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_backup_code_user_id'))

    op.drop_table('backup_code')
    op.drop_table('authenticator_app')

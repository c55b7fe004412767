"""Looking after an account: remembered browsers, what a session was signed in from, a new number.

remembered_browser keeps the hash of each "don't ask again on this browser" cookie's random id;
login_session gains a user-agent summary and the client network, for the security page's list;
pending_login.new_phone holds a number being confirmed by the purpose "newphone".

Revision ID: d2e3f4a5b6c7
Revises: a8b9c0d1e2f3
Create Date: 2026-11-22

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd2e3f4a5b6c7'
down_revision = 'a8b9c0d1e2f3'
branch_labels = None
depends_on = None


def upgrade():
    """Add the table and the columns; existing sessions get empty descriptions."""
    op.create_table('remembered_browser',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('user_agent', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('remembered_browser_user_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('remembered_browser_pkey'))
    )
    with op.batch_alter_table('remembered_browser', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remembered_browser_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_remembered_browser_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_agent', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('network', sa.String(length=64), server_default='', nullable=False))

    with op.batch_alter_table('pending_login', schema=None) as batch_op:
        batch_op.add_column(sa.Column('new_phone', sa.String(length=20), nullable=True))


def downgrade():
    """Drop them again, ending unfinished number changes first: without new_phone their rows
    would name no number, and older code knows no purpose "newphone"."""
    op.execute("DELETE FROM one_time_code WHERE purpose = 'newphone'")
    op.execute("DELETE FROM pending_login WHERE purpose = 'newphone'")
    with op.batch_alter_table('pending_login', schema=None) as batch_op:
        batch_op.drop_column('new_phone')

    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_column('network')
        batch_op.drop_column('user_agent')

    with op.batch_alter_table('remembered_browser', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remembered_browser_user_id'))
        batch_op.drop_index(batch_op.f('ix_remembered_browser_created_at'))

    op.drop_table('remembered_browser')
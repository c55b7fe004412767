"""Bearer sessions: login_session.kind, "browser" (a cookie) or "bearer" (an app's token).

The JSON API signs apps in with a bearer token kept, like a browser's, only as its hash in
login_session; the new column tells the two apart. Every existing row is a browser's.

Revision ID: b9c0d1e2f3a4
Revises: f7a8b9c0d1e2
Create Date: 2026-11-22

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b9c0d1e2f3a4'
down_revision = 'f7a8b9c0d1e2'
branch_labels = None
depends_on = None


def upgrade():
    """Add the column; the server default fills it in for every existing row."""
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), server_default='browser', nullable=False))


def downgrade():
    """Drop it again, signing apps out first: without the column their rows would pass for
    browsers'."""
    op.execute("DELETE FROM login_session WHERE kind = 'bearer'")
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_column('kind')

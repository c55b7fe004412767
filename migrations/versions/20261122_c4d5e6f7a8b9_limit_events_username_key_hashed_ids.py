"""One table for every limit's counter; usernames unique without regard to case; hashed ids.

Sends and wrong codes move into limit_event(key, at), with their counts kept. Each account
gets username_key = lower(username), unique; where two names already differ only by case, the
oldest account takes it and the others keep signing in by their exact spelling. Session and
pending-sign-in ids become the SHA-256 of the tokens browsers hold, so a database reader cannot
ride them; existing rows are re-keyed, and every signed-in browser stays signed in.

Revision ID: c4d5e6f7a8b9
Revises: b7e1c0d2f3a4
Create Date: 2026-11-22

"""
import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4d5e6f7a8b9'
down_revision = 'b7e1c0d2f3a4'
branch_labels = None
depends_on = None


def upgrade():
    """Move the counters into limit_event; add username_key; drop rows under unhashed ids."""
    op.create_table('limit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=96), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('limit_event_pkey'))
    )
    with op.batch_alter_table('limit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_limit_event_at'), ['at'], unique=False)
        batch_op.create_index('ix_limit_event_key_at', ['key', 'at'], unique=False)

    limit_event = sa.table("limit_event", sa.column("key", sa.String), sa.column("at", sa.DateTime))
    failed_guess = sa.table("failed_guess", sa.column("user_id", sa.Integer),
                            sa.column("at", sa.DateTime))
    send_event = sa.table("send_event", sa.column("user_id", sa.Integer),
                          sa.column("at", sa.DateTime))
    as_text = lambda column: sa.cast(column, sa.String)  # noqa: E731
    for key, source in (("guess:account:", failed_guess), ("send:account:", send_event)):
        op.execute(limit_event.insert().from_select(
            ["key", "at"], sa.select(sa.literal(key) + as_text(source.c.user_id), source.c.at)))
    op.execute(limit_event.insert().from_select(
        ["key", "at"], sa.select(sa.literal("send:confirmed"), send_event.c.at)))

    with op.batch_alter_table('send_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_send_event_at'))
        batch_op.drop_index(batch_op.f('ix_send_event_ip_at'))
        batch_op.drop_index(batch_op.f('ix_send_event_prefix_at'))
        batch_op.drop_index(batch_op.f('ix_send_event_user_id_at'))

    op.drop_table('send_event')
    with op.batch_alter_table('failed_guess', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failed_guess_at'))
        batch_op.drop_index(batch_op.f('ix_failed_guess_user_id_at'))

    op.drop_table('failed_guess')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username_key', sa.String(length=64), nullable=True))
        batch_op.drop_column('lock_version')
    user = sa.table("user", sa.column("id", sa.Integer), sa.column("username", sa.String),
                    sa.column("username_key", sa.String))
    oldest_of_each_name = (sa.select(sa.func.min(user.c.id))
                           .group_by(sa.func.lower(user.c.username)).scalar_subquery())
    op.execute(user.update().where(user.c.id.in_(oldest_of_each_name))
               .values(username_key=sa.func.lower(user.c.username)))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('user_username_key_key'), ['username_key'])

    hash_session_and_pending_ids()



def token_hash(token: str) -> str:
    """As twofactor.models.token_hash, frozen here."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_session_and_pending_ids() -> None:
    """Re-key sessions and pending sign-ins by the hash of the token their cookie holds."""
    bind = op.get_bind()
    sessions = sa.table("login_session", sa.column("id", sa.String))
    for (token,) in bind.execute(sa.select(sessions.c.id)).all():
        bind.execute(sessions.update().where(sessions.c.id == token)
                     .values(id=token_hash(token)))
    columns = ("user_id", "purpose", "next_url", "created_at", "expires_at", "done")
    pendings = sa.table("pending_login", sa.column("id"), *map(sa.column, columns))
    codes = sa.table("one_time_code", sa.column("pending_id", sa.String))
    for (token,) in bind.execute(sa.select(pendings.c.id)).all():
        # Codes refer to the pending row: add it under its new id, move them, drop the old one.
        bind.execute(pendings.insert().from_select(
            ["id", *columns], sa.select(sa.literal(token_hash(token)),
                                        *(pendings.c[name] for name in columns))
            .where(pendings.c.id == token)))
        bind.execute(codes.update().where(codes.c.pending_id == token)
                     .values(pending_id=token_hash(token)))
        bind.execute(pendings.delete().where(pendings.c.id == token))


def downgrade():
    """The separate counter tables again, empty: the limits start afresh. Hashed ids cannot be
    turned back into tokens, so sessions and pending sign-ins end."""
    for table in ("login_session", "one_time_code", "pending_login"):
        op.execute(sa.table(table).delete())
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lock_version', sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.drop_constraint(batch_op.f('user_username_key_key'), type_='unique')
        batch_op.drop_column('username_key')

    op.create_table('failed_guess',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('failed_guess_pkey'))
    )
    with op.batch_alter_table('failed_guess', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_failed_guess_user_id_at'), ['user_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_failed_guess_at'), ['at'], unique=False)

    op.create_table('send_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('send_event_pkey'))
    )
    with op.batch_alter_table('send_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_send_event_user_id_at'), ['user_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_send_event_prefix_at'), ['prefix', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_send_event_ip_at'), ['ip', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_send_event_at'), ['at'], unique=False)

    with op.batch_alter_table('limit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_limit_event_key_at')
        batch_op.drop_index(batch_op.f('ix_limit_event_at'))

    op.drop_table('limit_event')

"""Hourly counters for the site-wide send caps: limit_bucket(key, hour, count).

The caps on every send of the site (``send:confirmed``, ``send:unconfirmed``) counted a day's
worth of limit_event rows on each sign-in; they now add to one row per hour instead, and a
window sums at most 25 of them. Their existing events move into buckets on upgrade, and back
out (one event at the start of each bucket's hour) on downgrade.

Revision ID: c1d2e3f4a5b6
Revises: d2e3f4a5b6c7
Create Date: 2026-11-22

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c1d2e3f4a5b6'
down_revision = 'd2e3f4a5b6c7'
branch_labels = None
depends_on = None

SITE_WIDE = ("send:confirmed", "send:unconfirmed")
event = sa.table("limit_event", sa.column("key", sa.String), sa.column("at", sa.DateTime))
bucket = sa.table("limit_bucket", sa.column("key", sa.String), sa.column("hour", sa.DateTime),
                  sa.column("count", sa.Integer))


def upgrade():
    """Create the table, then move the site-wide events into it, an hour per row."""
    op.create_table('limit_bucket',
    sa.Column('key', sa.String(length=96), nullable=False),
    sa.Column('hour', sa.DateTime(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'hour', name=op.f('limit_bucket_pkey'))
    )
    connection = op.get_bind()
    counts = {}
    for key, at in connection.execute(sa.select(event.c.key, event.c.at)
                                      .where(event.c.key.in_(SITE_WIDE))):
        hour = (key, at.replace(minute=0, second=0, microsecond=0))
        counts[hour] = counts.get(hour, 0) + 1
    if counts:
        op.bulk_insert(bucket, [{"key": key, "hour": hour, "count": n}
                                for (key, hour), n in counts.items()])
    connection.execute(sa.delete(event).where(event.c.key.in_(SITE_WIDE)))


def downgrade():
    """Turn each bucket back into events at the start of its hour, then drop the table."""
    rows = op.get_bind().execute(sa.select(bucket.c.key, bucket.c.hour, bucket.c.count)).all()
    events = [{"key": key, "at": hour} for key, hour, n in rows for _ in range(n)]
    if events:
        op.bulk_insert(event, events)
    op.drop_table('limit_bucket')

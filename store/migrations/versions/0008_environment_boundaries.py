"""sessions remember the user's identity provider; organisation-level audit events delivered per SIEM

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('websession', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_provider', sa.String(length=200), nullable=True))
    op.create_table(
        'organisationauditdelivery',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('environment_id', sa.Integer(), nullable=False),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivery_attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['auditevent.id']),
        sa.ForeignKeyConstraint(['environment_id'], ['environment.id']),
        sa.PrimaryKeyConstraint('event_id', 'environment_id'),
    )


def downgrade() -> None:
    op.drop_table('organisationauditdelivery')
    with op.batch_alter_table('websession', schema=None) as batch_op:
        batch_op.drop_column('identity_provider')

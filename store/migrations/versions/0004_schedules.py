"""schedules

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('schedule',
    sa.Column('environment_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('interval_minutes', sa.Integer(), nullable=False),
    sa.Column('teams_webhook_enc', sa.String(), nullable=True),
    sa.Column('closed_phase', sa.String(length=200), nullable=False),
    sa.Column('auto_import_clients', sa.JSON(), nullable=False),
    sa.Column('auto_import_since', sa.Date(), nullable=True),
    sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment_id'], ['environment.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('environment_id')
    )
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('schedulerun',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('environment_id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_sync_count', sa.Integer(), nullable=True),
    sa.Column('auto_import_count', sa.Integer(), nullable=True),
    sa.Column('notification', sa.String(length=500), nullable=True),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['environment_id'], ['environment.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('schedulerun', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedulerun_environment_id'), ['environment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedulerun_organisation_id'), ['organisation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('schedulerun', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedulerun_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_schedulerun_environment_id'))

    op.drop_table('schedulerun')
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_organisation_id'))

    op.drop_table('schedule')

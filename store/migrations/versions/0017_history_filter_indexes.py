"""history: indexes for the filters 0014 left to a scan (a date range, an outcome across
environments, a user and an outcome together)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_importattempt_org_started': ['organisation_id', 'started_at'],
    'ix_importattempt_org_env_started': ['organisation_id', 'environment_id', 'started_at'],
    'ix_importattempt_org_outcome_id': ['organisation_id', 'outcome', 'id'],
    'ix_importattempt_org_env_user_outcome_id': ['organisation_id', 'environment_id', 'user_name', 'outcome', 'id'],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, 'importattempt', columns, unique=False)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name='importattempt')

"""a removed environment's name and identity URL can be used again

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

IN_USE = sa.text('removed_at IS NULL')
# Names the identity URL's unnamed unique constraint of 0001 the same way on both databases.
NAMING = {'uq': '%(table_name)s_%(column_0_name)s_key'}


def upgrade() -> None:
    with op.batch_alter_table('environment', naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint('uq_environment_org_name', type_='unique')
        batch_op.drop_constraint('environment_identity_url_key', type_='unique')
    op.create_index('uq_environment_org_name', 'environment', ['organisation_id', 'name'],
                    unique=True, sqlite_where=IN_USE, postgresql_where=IN_USE)
    op.create_index('uq_environment_identity_url', 'environment', ['identity_url'],
                    unique=True, sqlite_where=IN_USE, postgresql_where=IN_USE)


def downgrade() -> None:
    op.drop_index('uq_environment_identity_url', table_name='environment')
    op.drop_index('uq_environment_org_name', table_name='environment')
    with op.batch_alter_table('environment', naming_convention=NAMING) as batch_op:
        batch_op.create_unique_constraint('environment_identity_url_key', ['identity_url'])
        batch_op.create_unique_constraint('uq_environment_org_name', ['organisation_id', 'name'])

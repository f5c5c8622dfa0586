"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('admin_roles', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('environment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('identity_url', sa.String(length=500), nullable=False),
    sa.Column('api_url', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('client_secret_enc', sa.String(), nullable=True),
    sa.Column('portal_origins', sa.JSON(), nullable=False),
    sa.Column('work_item_url_template', sa.String(length=500), nullable=False),
    sa.Column('agent_url', sa.String(length=500), nullable=False),
    sa.Column('agent_key_enc', sa.String(), nullable=True),
    sa.Column('relay_key_name', sa.String(length=200), nullable=True),
    sa.Column('relay_key_enc', sa.String(), nullable=True),
    sa.Column('import_writes_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('identity_url'),
    sa.UniqueConstraint('organisation_id', 'name', name='uq_environment_org_name')
    )
    with op.batch_alter_table('environment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_environment_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('auditevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('environment_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['environment_id'], ['environment.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditevent_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('defaultteam',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('environment_id', sa.Integer(), nullable=False),
    sa.Column('work_type', sa.String(length=200), nullable=False),
    sa.Column('team_id', sa.String(length=100), nullable=False),
    sa.Column('team_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['environment_id'], ['environment.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('environment_id', 'work_type', 'team_id', name='uq_default_team')
    )
    with op.batch_alter_table('defaultteam', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_defaultteam_environment_id'), ['environment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_defaultteam_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('matterimport',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('environment_id', sa.Integer(), nullable=False),
    sa.Column('matter_uno', sa.String(length=50), nullable=False),
    sa.Column('matter_number', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('work_item_id', sa.String(length=100), nullable=True),
    sa.Column('imported_by', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['environment_id'], ['environment.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'environment_id', 'matter_uno', name='uq_import_matter')
    )
    with op.batch_alter_table('matterimport', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matterimport_environment_id'), ['environment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_matterimport_matter_number'), ['matter_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_matterimport_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('websession',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('environment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=200), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment_id'], ['environment.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('websession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_websession_organisation_id'), ['organisation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('websession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_websession_organisation_id'))

    op.drop_table('websession')
    with op.batch_alter_table('matterimport', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matterimport_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_matterimport_matter_number'))
        batch_op.drop_index(batch_op.f('ix_matterimport_environment_id'))

    op.drop_table('matterimport')
    with op.batch_alter_table('defaultteam', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_defaultteam_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_defaultteam_environment_id'))

    op.drop_table('defaultteam')
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditevent_organisation_id'))

    op.drop_table('auditevent')
    with op.batch_alter_table('environment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_environment_organisation_id'))

    op.drop_table('environment')
    op.drop_table('organisation')

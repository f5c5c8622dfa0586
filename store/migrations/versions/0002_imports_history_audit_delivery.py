"""imports history audit delivery

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lease',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('importattempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('environment_id', sa.Integer(), nullable=False),
    sa.Column('matter_uno', sa.String(length=50), nullable=True),
    sa.Column('matter_number', sa.String(length=50), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('work_item_id', sa.String(length=100), nullable=True),
    sa.Column('error', sa.String(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['environment_id'], ['environment.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('importattempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_importattempt_environment_id'), ['environment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_importattempt_matter_number'), ['matter_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_importattempt_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_importattempt_outcome'), ['outcome'], unique=False)

    op.create_table('importcontact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('matter_import_id', sa.Integer(), nullable=False),
    sa.Column('name_uno', sa.Integer(), nullable=False),
    sa.Column('ods_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['matter_import_id'], ['matterimport.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('matter_import_id', 'name_uno', name='uq_import_contact')
    )
    with op.batch_alter_table('importcontact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_importcontact_matter_import_id'), ['matter_import_id'], unique=False)

    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(length=500), nullable=True))

    with op.batch_alter_table('environment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('siem_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('siem_secret_enc', sa.String(), nullable=True))

    with op.batch_alter_table('matterimport', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('matterimport', schema=None) as batch_op:
        batch_op.drop_column('lease_expires_at')

    with op.batch_alter_table('environment', schema=None) as batch_op:
        batch_op.drop_column('siem_secret_enc')
        batch_op.drop_column('siem_url')

    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.drop_column('last_error')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('delivery_attempts')

    with op.batch_alter_table('importcontact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_importcontact_matter_import_id'))

    op.drop_table('importcontact')
    with op.batch_alter_table('importattempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_importattempt_outcome'))
        batch_op.drop_index(batch_op.f('ix_importattempt_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_importattempt_matter_number'))
        batch_op.drop_index(batch_op.f('ix_importattempt_environment_id'))

    op.drop_table('importattempt')
    op.drop_table('lease')

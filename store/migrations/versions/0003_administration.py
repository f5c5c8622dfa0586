"""administration

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id', 'email', name='uq_membership_email')
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('mappingversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('environment_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['environment_id'], ['environment.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('environment_id', 'version', name='uq_mapping_version')
    )
    with op.batch_alter_table('mappingversion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mappingversion_environment_id'), ['environment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mappingversion_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('environment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admin_roles', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('websession', schema=None) as batch_op:
        batch_op.alter_column('environment_id',
               existing_type=sa.INTEGER(),
               nullable=True)



def downgrade() -> None:
    with op.batch_alter_table('websession', schema=None) as batch_op:
        batch_op.alter_column('environment_id',
               existing_type=sa.INTEGER(),
               nullable=False)

    with op.batch_alter_table('environment', schema=None) as batch_op:
        batch_op.drop_column('removed_at')
        batch_op.drop_column('admin_roles')

    with op.batch_alter_table('mappingversion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mappingversion_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_mappingversion_environment_id'))

    op.drop_table('mappingversion')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_membership_email'))

    op.drop_table('membership')

"""party links: the contact an import linked each Aderant party to, per environment; where the portal shows a contact

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('environment', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'contact_url_template', sa.String(length=500), server_default='{api_url}/ods/{kind}/{id}', nullable=False,
        ))
    op.create_table(
        'partylink',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('environment_id', sa.Integer(), nullable=False),
        sa.Column('party_reference', sa.String(length=200), nullable=False),
        sa.Column('ods_id', sa.String(length=100), nullable=False),
        sa.Column('linked_by', sa.String(length=200), nullable=False),
        sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['environment_id'], ['environment.id']),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('organisation_id', 'environment_id', 'party_reference', name='uq_party_link'),
    )
    with op.batch_alter_table('partylink', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partylink_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('partylink', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partylink_organisation_id'))
    op.drop_table('partylink')
    with op.batch_alter_table('environment', schema=None) as batch_op:
        batch_op.drop_column('contact_url_template')

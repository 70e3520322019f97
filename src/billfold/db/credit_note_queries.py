"""The repository's queries about credit notes, their lines and refunds (a part of
:class:`billfold.db.repository.Repository`, kept apart to keep each module small). Every one is scoped by
organization."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billfold.db import models as m


class CreditNoteQueries:
    session: AsyncSession

    async def credit_notes_of(self, organization_id: uuid.UUID, invoice_id: uuid.UUID) -> list[m.CreditNote]:
        """The invoice's credit notes (void ones too), oldest first."""
        statement = (
            select(m.CreditNote)
            .where(m.CreditNote.organization_id == organization_id, m.CreditNote.invoice_id == invoice_id)
            .order_by(m.CreditNote.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def credit_note_lines_of(
        self, organization_id: uuid.UUID, credit_note_id: uuid.UUID
    ) -> list[m.CreditNoteLine]:
        statement = (
            select(m.CreditNoteLine)
            .where(
                m.CreditNoteLine.organization_id == organization_id,
                m.CreditNoteLine.credit_note_id == credit_note_id,
            )
            .order_by(m.CreditNoteLine.position)
        )
        return list((await self.session.execute(statement)).scalars())

    async def live_credit_note_lines(
        self, organization_id: uuid.UUID, invoice_id: uuid.UUID
    ) -> list[m.CreditNoteLine]:
        """Every line of the invoice's live (not void) credit notes: what has been credited so far."""
        note, line = m.CreditNote, m.CreditNoteLine
        statement = (
            select(line)
            .join(note, (note.organization_id == line.organization_id) & (note.id == line.credit_note_id))
            .where(
                note.organization_id == organization_id,
                note.invoice_id == invoice_id,
                note.status == "issued",
            )
            .order_by(line.credit_note_id, line.position)
        )
        return list((await self.session.execute(statement)).scalars())

    async def has_live_credit_notes(self, organization_id: uuid.UUID, invoice_id: uuid.UUID) -> bool:
        statement = (
            select(m.CreditNote.id)
            .where(
                m.CreditNote.organization_id == organization_id,
                m.CreditNote.invoice_id == invoice_id,
                m.CreditNote.status == "issued",
            )
            .limit(1)
        )
        return (await self.session.execute(statement)).first() is not None

    async def issuing_account_has_credit_notes(
        self, organization_id: uuid.UUID, account_id: uuid.UUID
    ) -> bool:
        """Whether a credit note has taken a number in the account (void ones keep theirs)."""
        statement = (
            select(m.CreditNote.id)
            .where(
                m.CreditNote.organization_id == organization_id, m.CreditNote.issuing_account_id == account_id
            )
            .limit(1)
        )
        return (await self.session.execute(statement)).first() is not None

    async def refunds_of(self, organization_id: uuid.UUID, invoice_id: uuid.UUID) -> list[m.Refund]:
        statement = (
            select(m.Refund)
            .where(m.Refund.organization_id == organization_id, m.Refund.invoice_id == invoice_id)
            .order_by(m.Refund.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def refunds_of_note(self, organization_id: uuid.UUID, credit_note_id: uuid.UUID) -> list[m.Refund]:
        statement = (
            select(m.Refund)
            .where(m.Refund.organization_id == organization_id, m.Refund.credit_note_id == credit_note_id)
            .order_by(m.Refund.id)
        )
        return list((await self.session.execute(statement)).scalars())

    async def lines_of_credit_notes(
        self, organization_id: uuid.UUID, credit_note_ids: Sequence[uuid.UUID]
    ) -> list[m.CreditNoteLine]:
        if not credit_note_ids:
            return []
        statement = (
            select(m.CreditNoteLine)
            .where(
                m.CreditNoteLine.organization_id == organization_id,
                m.CreditNoteLine.credit_note_id.in_(list(credit_note_ids)),
            )
            .order_by(m.CreditNoteLine.credit_note_id, m.CreditNoteLine.position)
        )
        return list((await self.session.execute(statement)).scalars())

"""What the simulator's client phone looks up: clients to pick (by name, account, masked mobile, or among the
recipients of a broadcast) and where a reply sent from it went (which queue and item, or not routed yet)."""
from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from broadcast.models import Broadcast
from clients.models import Client
from followups.models import FollowUp
from messaging.models import InboundMessage, MessagePurpose, OutboundMessage

PICK_LIMIT = 200
BROADCAST_CHOICES = 30
_MASKED = re.compile(r"^\s*(?P<head>\d*)\*+(?P<tail>\d*)\s*$")  # 138****0001, as the pages show a mobile


def search_condition(text: str) -> sa.ColumnElement[bool]:
    """Clients whose name or account number contains `text`, or whose mobile ends with its digits; a masked
    mobile as the pages show it (138****0001) matches the mobiles with that beginning and end."""
    masked = _MASKED.match(text)
    if masked:
        head, tail = masked["head"], masked["tail"]
        # the pages mask the national number: 138**** is +86138... (or the digits after + of another country's)
        begins = sa.or_(Client.mobile.startswith("+86" + head, autoescape=True),
                        Client.mobile.startswith("+" + head, autoescape=True))
        return sa.and_(begins if head else sa.true(),
                       Client.mobile.endswith(tail, autoescape=True) if tail else sa.true())
    found = [Client.name.icontains(text, autoescape=True), Client.account_no.contains(text, autoescape=True)]
    digits = re.sub(r"\D", "", text)
    if digits and len(digits) >= 4 and digits == text.strip().lstrip("+"):
        found.append(Client.mobile.endswith(digits, autoescape=True))
    return sa.or_(*found)


def find_clients(session, text: str = "", broadcast_id: int | None = None,
                 limit: int = PICK_LIMIT) -> list[Client]:
    """Clients with a mobile (whom the phone can be), matching `text` and, with `broadcast_id`, among those a
    broadcast was sent to; by account number."""
    query = sa.select(Client).where(Client.mobile.is_not(None))
    if broadcast_id is not None:
        query = query.where(Client.id.in_(sa.select(OutboundMessage.client_id).where(
            OutboundMessage.broadcast_id == broadcast_id, OutboundMessage.purpose == MessagePurpose.broadcast)))
    text = (text or "").strip()
    if text:
        query = query.where(search_condition(text))
    return list(session.scalars(query.order_by(Client.account_no).limit(limit)))


def sent_broadcasts(session, limit: int = BROADCAST_CHOICES) -> list[tuple[int, str]]:
    """(id, title) of the latest broadcasts that have recipients, newest first: the phone's "recipients of"."""
    with_messages = sa.select(OutboundMessage.broadcast_id).where(
        OutboundMessage.purpose == MessagePurpose.broadcast, OutboundMessage.broadcast_id.is_not(None)).distinct()
    return [tuple(row) for row in session.execute(
        sa.select(Broadcast.id, Broadcast.title).where(Broadcast.id.in_(with_messages))
        .order_by(Broadcast.id.desc()).limit(limit))]


@dataclass(frozen=True)
class Reached:
    """Where a reply sent from the phone is: stored (always), and the item routing put it in (None: not yet)."""

    body: str
    item: FollowUp | None


def reached(session, sid: str, client: Client) -> Reached | None:
    """The reply with provider id `sid` from `client`'s mobile, with its item once routed; None when there is
    no such reply (a sid of someone else's message is not told)."""
    row = session.execute(sa.select(InboundMessage.body, InboundMessage.followup_id).where(
        InboundMessage.provider_sid == sid, InboundMessage.from_number == client.mobile)).first()
    if row is None:
        return None
    return Reached(row.body, session.get(FollowUp, row.followup_id) if row.followup_id is not None else None)

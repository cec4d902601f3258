"""What happened to a broadcast, counted against its snapshot of recipients."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from broadcast.audience import excluded_summary
from broadcast.models import Broadcast, BroadcastState
from broadcast.settings import Settings
from broadcast.texts import cost_of
from clients.models import Client
from clients.privacy import mobile_for
from messaging.models import InboundMessage, MessagePurpose, MessageState, OutboundMessage

HANDED_OVER = (MessageState.queued, MessageState.sent, MessageState.delivered, MessageState.undelivered,
               MessageState.failed, MessageState.unknown)
# the states in which a broadcast's page follows it without a reload (static/broadcast-detail.js)
LIVE = frozenset({BroadcastState.scheduled, BroadcastState.sending, BroadcastState.paused})


def _messages(b: Broadcast) -> sa.ColumnElement[bool]:
    """The broadcast's own messages, one per recipient of its snapshot (never a test send to its author)."""
    return sa.and_(OutboundMessage.broadcast_id == b.id, OutboundMessage.purpose == MessagePurpose.broadcast)


def snapshot_figures(session, b: Broadcast, settings: Settings) -> dict[str, Any] | None:
    """What the audience snapshot holds, once there is one (None before): recipients, recipients per tier,
    segments (per message, the most, in all) and the cost of those not suppressed or cancelled, counted on the
    messages themselves in one query. A finished broadcast shows these, not a preview recomputed from today's
    book (which changes as clients opt out)."""
    where = _messages(b)
    # what is paid for: every message but those never handed over and never to be (suppressed, cancelled)
    paid = sa.case((OutboundMessage.state.in_([MessageState.suppressed, MessageState.cancelled]), 0),
                   else_=OutboundMessage.segments)
    recipients, total, billed, least, most = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(OutboundMessage.segments), 0),
                  sa.func.coalesce(sa.func.sum(paid), 0), sa.func.min(OutboundMessage.segments),
                  sa.func.max(OutboundMessage.segments)).where(where)).one()
    if not recipients:
        return None
    by_tier = {tier or "none": n for tier, n in session.execute(
        sa.select(OutboundMessage.tier, sa.func.count()).where(where).group_by(OutboundMessage.tier))}
    return {"recipients": recipients, "by_tier": by_tier, "total_segments": int(total), "segments": int(least),
            "max_segments": int(most), "excluded": excluded_summary(b.risk_excluded), "from_snapshot": True,
            **cost_of(int(billed), settings)}


def progress(session, broadcasts: list[Broadcast]) -> dict[int, dict[str, Any]]:
    """How far each send has come, for the pages that follow it (one query for all): state, recipients,
    handed over, delivered, undelivered, failed, and when it started and finished."""
    counts: dict[int, dict[MessageState, int]] = {b.id: {} for b in broadcasts}
    for broadcast_id, state, n in session.execute(
            sa.select(OutboundMessage.broadcast_id, OutboundMessage.state, sa.func.count())
            .where(OutboundMessage.broadcast_id.in_(list(counts)), OutboundMessage.purpose == MessagePurpose.broadcast)
            .group_by(OutboundMessage.broadcast_id, OutboundMessage.state)):
        counts[broadcast_id][state] = n
    out = {}
    for b in broadcasts:
        mine = counts[b.id]
        out[b.id] = {"state": b.state.value, "live": b.state in LIVE, "recipients": sum(mine.values()),
                     "handed_over": sum(mine.get(s, 0) for s in HANDED_OVER),
                     # handed over, their delivery report still to come
                     "awaiting": mine.get(MessageState.queued, 0) + mine.get(MessageState.sent, 0),
                     **{s.value: mine.get(s, 0) for s in (MessageState.delivered, MessageState.undelivered,
                                                          MessageState.failed)},
                     "started_at": b.started_at, "finished_at": b.finished_at}
    return out


def report(session, b: Broadcast) -> dict[str, Any]:
    where = _messages(b)
    counts = {s.value: 0 for s in MessageState}
    for state, n in session.execute(sa.select(OutboundMessage.state, sa.func.count()).where(where)
                                    .group_by(OutboundMessage.state)):
        counts[state.value] = n
    by_tier: dict[str, dict[str, int]] = {}
    for tier, state, n in session.execute(sa.select(OutboundMessage.tier, OutboundMessage.state, sa.func.count())
                                          .where(where).group_by(OutboundMessage.tier, OutboundMessage.state)):
        by_tier.setdefault(tier or "none", {})[state.value] = n
    errors = dict(session.execute(sa.select(OutboundMessage.error_code, sa.func.count())
                                  .where(where, OutboundMessage.error_code.is_not(None),
                                         OutboundMessage.state.in_([MessageState.failed, MessageState.undelivered]))
                                  .group_by(OutboundMessage.error_code)).all())
    readers, opens = session.execute(sa.select(sa.func.count(OutboundMessage.note_first_opened_at),
                                               sa.func.coalesce(sa.func.sum(OutboundMessage.note_opens), 0))
                                     .where(where)).one()
    recipients = sum(counts.values())
    # recipients who opted out: refused by the carrier as unsubscribed, or suppressed after opting out
    opted_out = session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage).join(
        Client, Client.id == OutboundMessage.client_id).where(
        where, sa.or_(OutboundMessage.error_code == "21610",
                      sa.and_(OutboundMessage.state == MessageState.suppressed, Client.opted_out.is_(True)))))
    # what the recipients answered, by category (replies are linked to the broadcast last delivered to the client)
    replies = {c: n for c, n in session.execute(
        sa.select(InboundMessage.category, sa.func.count()).where(InboundMessage.broadcast_id == b.id)
        .group_by(InboundMessage.category)) if c is not None}
    return {
        "id": b.id, "state": b.state.value, "replies": replies, "recipients": recipients, "counts": counts,
        "handed_over": sum(counts[s.value] for s in HANDED_OVER),
        "opted_out": opted_out, "by_tier": by_tier, "errors": errors, "note_readers": readers, "note_opens": int(opens),
        "segments": int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(OutboundMessage.segments), 0))
                                       .where(where)) or 0),
        # who appropriateness left out of the snapshot (never in `recipients`; none before it was kept)
        "excluded": excluded_summary(b.risk_excluded),
        "send_at": b.send_at.isoformat() if b.send_at else None,
        "started_at": b.started_at.isoformat() if b.started_at else None,
        "finished_at": b.finished_at.isoformat() if b.finished_at else None,
    }


def csv_export(session, b: Broadcast, viewer) -> tuple[list[str], list[list[object]]]:
    """One line per recipient, for a spreadsheet (core/exports.py writes it as CSV or XLSX, neutralises
    would-be formulas and writes times in TIMEZONE): headers, tiers, states and error codes in the reader's
    language. Who got what by name; each mobile whole only where `viewer` may see it (clients/privacy.py)."""
    from flask_babel import gettext as _

    from clients.labels import tier_label
    from messaging.labels import MESSAGE_STATE_LABELS, error_label

    header = [_("Account"), _("Name"), _("Mobile"), _("Tier"), _("State"), _("Error"), _("Segments"),
              _("Provider message ID"), _("Handed over at"), _("Note opens")]
    rows = session.execute(
        sa.select(Client, Client.account_no, Client.name, OutboundMessage.to, OutboundMessage.tier, OutboundMessage.state,
                  OutboundMessage.error_code, OutboundMessage.segments, OutboundMessage.provider_sid,
                  OutboundMessage.handed_over_at, OutboundMessage.note_opens)
        .join(Client, Client.id == OutboundMessage.client_id)
        .where(_messages(b)).order_by(Client.account_no))
    lines: list[list[object]] = []
    for person, account, name, to, tier, state, code, segments, sid, handed, opens in rows:
        lines.append([account, name, mobile_for(viewer, person, to), tier_label(tier) if tier else "",
                      str(MESSAGE_STATE_LABELS.get(state.value, state.value)), error_label(code), segments,
                      sid or "", handed, opens])
    return header, lines

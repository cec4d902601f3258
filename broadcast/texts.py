"""The text a client gets (signature, rendered template, opt-out line) and the preview of a broadcast."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from broadcast import audience as audiences
from broadcast import placeholders
from broadcast.appropriateness import fit_of
from broadcast.models import Broadcast
from broadcast.settings import Settings
from clients.models import Client
from clients.privacy import may_see_book
from core import clock
from core.money import format_money, reader_language
from sms.links import separate_links
from sms.segments import measure

NOTE_TOKEN_BYTES = 8  # secrets.token_urlsafe(8): 11 characters, 64 bits, unguessable


def sample_note_link(settings: Settings) -> str:
    """A link of the same length as a real one, so that the preview counts segments right."""
    return f"{settings.public_base_url}/n/{'x' * len(secrets.token_urlsafe(NOTE_TOKEN_BYTES))}"


@dataclass(frozen=True)
class SampleStaff:
    name: str
    phone: str


@dataclass(frozen=True)
class SampleClient:
    """A made-up client, obviously no real one, for previews shown to those who may not see the client book
    (clients/privacy.py): the text reads as a client's would, and tells nothing of anyone's."""

    name: str
    account_no: str
    owner: SampleStaff


# by the broadcast's language; 13800000000 is the number every Chinese form uses as an example
SAMPLE_CLIENTS = {
    "zh": SampleClient("示例客户", "00000000", SampleStaff("示例经理", "13800000000")),
    "en": SampleClient("Sample Client", "00000000", SampleStaff("Sample Manager", "13800000000")),
}


def sample_client(b: Broadcast) -> SampleClient:
    return SAMPLE_CLIENTS.get(b.language, SAMPLE_CLIENTS["zh"])


def render_for(b: Broadcast, client: Client | SampleClient | None, settings: Settings,
               note_link: str | None = None) -> str:
    owner = client.owner if client is not None else None
    values = {
        "name": client.name if client is not None else "张先生",
        "staff_name": owner.name if owner else "",
        "staff_phone": (owner.phone or "") if owner else "",
        "contract": b.contract or "",
        "direction": {"long": "做多", "short": "做空"}.get(b.direction.value, "") if b.direction else "",
        "entry": b.entry or "",
        "stop": b.stop or "",
        "target": "/".join(b.targets or []),
        "note_link": note_link or (sample_note_link(settings) if b.note_markdown else ""),
        "analyst": analyst_for(b),
    }
    if b.language == "en" and b.direction:
        values["direction"] = b.direction.value
    return placeholders.render(b.body, values)


def analyst_for(b: Broadcast) -> str:
    """`{analyst}` of `b`: its author's name and qualification number (a sample's while it has no author)."""
    author = b.author if b.author_id is not None else None
    name, number = (author.name, author.qualification_no) if author is not None else placeholders.SAMPLE_ANALYST
    return placeholders.analyst_text(name, number, b.language)


def final_text(b: Broadcast, rendered: str, settings: Settings) -> str:
    """The signature 【company】 first and the opt-out line last, as the carriers' rules ask; every link followed
    by a space (sms/links.py), the note link before the opt-out line included."""
    opt_out = settings.opt_out_en if b.language == "en" else settings.opt_out_zh
    separator = " " if b.language == "en" else ""
    return separate_links(f"【{settings.company_name}】{rendered}{separator}{opt_out}")


def cost_of(segments: int, settings: Settings) -> dict[str, str]:
    """What `segments` cost: the amount ("18.40"), its currency ("CNY") and both as the reader reads them
    ("¥18.40", "US$0.92")."""
    cost = (settings.price_per_segment * segments).quantize(Decimal("0.01"))
    return {"cost": str(cost), "currency": settings.currency,
            "cost_display": format_money(cost, settings.currency, reader_language())}


EXACT_UP_TO = 20_000  # recipients whose texts are all rendered and counted; beyond, the rest is extrapolated


def audience_segments(session, b: Broadcast, settings: Settings, limit: int = EXACT_UP_TO) -> tuple[int, int, int]:
    """(segments of all the recipients' own texts, the most any one text takes, how many were counted).

    Each recipient's text differs (names, their business staff's name and phone), so totals and the
    longest text are counted on the real texts, up to `limit` recipients."""
    query = (audiences.recipients_query(audiences.parse(b.audience), sending_fit(b, settings))
             .order_by(Client.id).limit(limit))
    link = sample_note_link(settings) if b.note_markdown else None
    total = longest = counted = 0
    for client in session.scalars(query).unique():
        n = measure(final_text(b, render_for(b, client, settings, note_link=link), settings)).segments
        total += n
        longest = max(longest, n)
        counted += 1
    return total, longest, counted


def sending_fit(b: Broadcast, settings: Settings):
    """The appropriateness a preview counts under: on the day it is to go (its send time, if still ahead),
    else today, by the app's clock."""
    now = clock.now()
    return fit_of(b, settings, max(b.send_at, now) if b.send_at else now)


def preview(session, b: Broadcast, settings: Settings, exact: bool = True, viewer=None) -> dict[str, Any]:
    """The text for a sample recipient and the figures for the whole audience. With `exact`, totals count
    every recipient's own text (up to EXACT_UP_TO, then extrapolated); without, the sample's count times
    the audience (the compose page's running preview, which must answer within a keystroke).

    The sample is the first recipient only for a `viewer` who may see the client book; anyone else (and no
    viewer) gets the made-up client of the broadcast's language, and counts: never a name, an account, a
    person's tier or their business staff, and the totals counted on the sample's text."""
    audience, fit = audiences.parse(b.audience), sending_fit(b, settings)
    by_tier = audiences.count_by_tier(session, audience, fit)
    recipients = sum(by_tier.values())
    sample: Client | SampleClient | None = sample_client(b)
    sees_book = viewer is not None and may_see_book(viewer)
    # the real texts' counts only for those who see the book: a narrow audience's longest text would tell
    # the length of a client's name to whoever wrote {name} into it
    exact = exact and sees_book
    if sees_book:
        sample = session.scalars(audiences.recipients_query(audience, fit).order_by(Client.account_no)
                                 .limit(1)).first()
    text = final_text(b, render_for(b, sample, settings), settings)
    m = measure(text)
    total_segments, longest = m.segments * recipients, m.segments
    if exact and recipients:
        counted_total, longest, counted = audience_segments(session, b, settings)
        total_segments = round(counted_total * recipients / counted) if counted else 0
    return {
        "text": text, "sample_made_up": isinstance(sample, SampleClient),
        "sample_account_no": sample.account_no if isinstance(sample, Client) else None,
        "characters": m.characters, "encoding": m.encoding, "units": m.units, "segments": m.segments,
        "max_segments": longest, "exact": bool(exact and recipients <= EXACT_UP_TO),
        "recipients": recipients, "by_tier": by_tier, "total_segments": total_segments,
        "risk_level": fit.level.value,
        "excluded": audiences.excluded_summary(audiences.excluded(session, audience, fit)),
        **cost_of(total_segments, settings),
        "send_seconds": round(recipients / settings.rate_per_second, 1) if settings.rate_per_second else None,
    }

"""The broadcasts' part of the JSON API, declared once: what broadcast/api.py accepts (checked at the door by
core.schemas) and answers, and the operations core.openapi describes. Limits come from broadcast.fields."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, create_model

from broadcast.audience import MAX_LISTED_ACCOUNTS
from broadcast.fields import (
    BODY_MAX,
    COMMENT_MAX,
    CONTRACT_MAX,
    ENTRY_MAX,
    LANGUAGES,
    NOTE_MAX,
    RISK_MAX,
    STOP_MAX,
    TARGETS_MAX,
    TITLE_MAX,
)
from broadcast.models import RETIRED_KINDS, BroadcastKind, BroadcastState, Direction
from broadcast.versions import VERSION_MAX
from clients.appropriateness import Exclusion, RiskLevel
from clients.tiers import Tier
from core import openapi
from core.schemas import Answer, Error, RequestBody, one_of
from messaging.models import MessageState

TIERS = [t.value for t in Tier]
Kind = one_of(BroadcastKind)
NewKind = one_of([k.value for k in BroadcastKind if k not in RETIRED_KINDS])  # risk_notice retired: shown, never made
Level = one_of(RiskLevel)
State = one_of(BroadcastState)
Language = one_of(LANGUAGES)
Counts = dict[str, Annotated[int, Field(ge=0)]]
Accounts = Annotated[list[str], Field(max_length=MAX_LISTED_ACCOUNTS)]


# ---- requests ----------------------------------------------------------------------------------------------

class Audience(RequestBody):
    tiers: list[one_of([*TIERS, "vip"])] = Field(  # type: ignore[valid-type]
        [], description="Tier codes; `vip` means diamond, platinum and gold")
    branches: list[str] = Field([], description="营业部")
    staff_codes: list[str] = Field([], description="客户经理编号: their clients")
    include: Accounts = Field([], description="Account numbers added whatever the filters")
    exclude: Accounts = Field([], description="Account numbers never sent to")
    include_dormant: bool = False


class SuggestionIn(RequestBody):
    contract: str | None = Field(None, max_length=CONTRACT_MAX)
    direction: one_of([*(d.value for d in Direction), ""]) | None = None  # type: ignore[valid-type]
    entry: str | None = Field(None, max_length=ENTRY_MAX)
    stop: str | None = Field(None, max_length=STOP_MAX)
    # as the compose form takes them too ("3800,3850", "20%"); the service checks count, format and range
    targets: list[str | float] | str = Field([], description=f"Prices, at most {TARGETS_MAX}; or one text "
                                                              "separated by commas")
    position_pct: float | str | None = Field(None, description="Percent of the account, 0 to 100 (\"20\" or "
                                                                "\"20%\" too)")
    valid_until: str | None = Field(None, description="ISO 8601; without an offset, read in TIMEZONE")
    risk_statement: str | None = Field(None, max_length=RISK_MAX)


class BroadcastChanges(RequestBody):
    kind: NewKind = None  # type: ignore[valid-type]
    title: str = Field(None, min_length=1, max_length=TITLE_MAX)
    body: str = Field(None, min_length=1, max_length=BODY_MAX,
                      description="The SMS template with {placeholders} such as {name} and {note_link}")
    note_markdown: str | None = Field(None, max_length=NOTE_MAX)
    language: Language = None  # type: ignore[valid-type]
    audience: Audience = None  # type: ignore[assignment]
    suggestion: SuggestionIn | None = None
    risk_level: Level | None = Field(  # type: ignore[valid-type]
        None, description="R1 to R5; at least the kind's default (trade suggestions SUGGESTION_RISK_LEVEL, R4; "
                          "commentaries R2; invitations R1), which null or absent means. Only clients whose risk "
                          "tolerance and assessment allow it receive the broadcast")


SEEN = ("The broadcast's `version` as the caller last read it (GET answers it, and an ETag); the change is made "
        "only if nobody changed the broadcast since, else 409 `broadcast.stale_version`. Also accepted as "
        "`seen_version` or an If-Match header")
Version = Annotated[int, Field(ge=1, le=VERSION_MAX)]


class Seen(RequestBody):
    """The version the caller saw, for the actions that take nothing else."""

    version: Version | None = Field(None, description=SEEN)
    seen_version: Version | None = Field(None, description="The same as `version`")


class BroadcastEdit(BroadcastChanges):
    version: Version | None = Field(None, description=SEEN)
    seen_version: Version | None = Field(None, description="The same as `version`")


class BroadcastNew(BroadcastChanges):
    kind: NewKind  # type: ignore[valid-type]
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX,
                      description="The SMS template with {placeholders} such as {name} and {note_link}")


class Decision(RequestBody):
    comment: str | None = Field(None, max_length=COMMENT_MAX, description="Why (required to reject)")
    seen_version: Version | None = Field(None, description="The `version` the approver read. This or "
                                        "`seen_submitted_at` (or an If-Match header) is required")
    version: Version | None = Field(None, description="The same as `seen_version`")
    seen_submitted_at: str | None = Field(None, description="The submitted_at the approver read; refused as "
                                          "ambiguous when the broadcast was submitted twice at that time")


class Schedule(RequestBody):
    send_at: str | None = Field(None, description="ISO 8601; null sends now; without an offset, read in TIMEZONE")
    recurrence: str | None = Field(None, examples=["trading_days@08:30"])
    confirm_duplicate: bool = False
    version: Version | None = Field(None, description=SEEN)
    seen_version: Version | None = Field(None, description="The same as `version`")


# ---- answers ------------------------------------------------------------------------------------------------

class Problem(Answer):
    field: str | None
    error: str


class NotCompliant(Error):
    problems: list[Problem] = []


class AudienceOut(Answer):
    tiers: list[str] = []
    branches: list[str] = []
    staff_codes: list[str] = []
    include: list[str] = Field([], description="Listed account numbers: empty for those who may not see the "
                                                "client book (include_count says how many)")
    exclude: list[str] = []
    include_count: int = 0
    exclude_count: int = 0
    include_dormant: bool = False


class Suggestion(Answer):
    contract: str | None
    direction: one_of(Direction) | None  # type: ignore[valid-type]
    entry: str | None
    stop: str | None
    targets: list[str]
    position_pct: float | None
    valid_until: datetime | None
    risk_statement: str | None


class Broadcast(Answer):
    id: int
    kind: Kind  # type: ignore[valid-type]
    state: State  # type: ignore[valid-type]
    title: str
    body: str
    note_markdown: str | None
    language: Language  # type: ignore[valid-type]
    audience: AudienceOut
    risk_level: Level  # type: ignore[valid-type]
    suggestion: Suggestion | None
    author: str | None
    created_at: datetime | None
    updated_at: datetime | None
    submitted_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None
    send_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    recurrence: str | None
    parent_id: int | None
    version: int = Field(description="Bumped by every change; name it when acting on the broadcast")
    problems: list[Problem] = Field([], description="What compliance still objects to (on create, get and patch)")


ReasonCounts = create_model("ReasonCounts", __base__=Answer, **{r.value: (int, ...) for r in Exclusion})


class Excluded(Answer):
    """Clients left out by investor appropriateness (too_low: tolerance below the level; expired: assessment
    older than RISK_ASSESSMENT_YEARS; no_assessment: none on file). Opted-out, dormant and invalid-number
    clients are not counted here: they were never in the audience."""

    total: int
    by_reason: ReasonCounts  # type: ignore[valid-type]
    by_tier: dict[str, Counts] = Field(description="Tier code (or none) to reason to count")


class Preview(Answer):
    text: str
    sample_made_up: bool = Field(description="True when the text is for a made-up client: to anyone who may not "
                                             "see the client book")
    sample_account_no: str | None = Field(description="The first recipient's account (the text's), for those who "
                                                      "may see the client book; else null")
    characters: int
    encoding: one_of(["GSM-7", "UCS-2"])  # type: ignore[valid-type]
    units: int
    segments: int
    max_segments: int
    exact: bool
    recipients: int
    by_tier: Counts
    total_segments: int
    cost: str = Field(pattern=r"^\d+\.\d{2}$", description="The estimated cost, in `currency`")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217: the SMS_PRICE_PER_SEGMENT setting's")
    cost_display: str = Field(description="The cost as the caller's language writes it: ¥18.40, US$0.92")
    send_seconds: float | None
    risk_level: Level = Field(  # type: ignore[valid-type]
        description="The level it is sent under: its own, never below its kind's default as the settings say now")
    excluded: Excluded = Field(description="Clients the audience would reach whom appropriateness leaves out on "
                                           "the day it goes; not counted in recipients")


MessageCounts = create_model("MessageCounts", __base__=Answer, **{s.value: (int, ...) for s in MessageState})


class Report(Answer):
    id: int
    state: State  # type: ignore[valid-type]
    replies: Counts
    recipients: int
    counts: MessageCounts  # type: ignore[valid-type]
    handed_over: int
    opted_out: int
    by_tier: dict[str, Counts]
    errors: Counts
    note_readers: int
    note_opens: int
    segments: int
    excluded: Excluded = Field(description="Left out by appropriateness when the audience was snapshotted")
    send_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


# ---- operations ---------------------------------------------------------------------------------------------

# a draft's fields refused: the first problem as every refusal says it, and (when the service checked the fields)
# every problem found, each naming its field
INVALID = "Refused; when the fields were checked, every problem is listed"


def _paths() -> dict:
    op, answer, body = openapi.operation, openapi.answer, openapi.json_body
    broadcast_id = openapi.path_id("broadcast_id", "The broadcast's id")
    one = answer(Broadcast, "The broadcast")
    # the If-Match header is taken too (the version as the answers' ETag, "3"), but not declared as a parameter:
    # the body's `version` is the one way the description offers
    acting = [broadcast_id]

    def control(op_id: str, summary: str) -> dict:
        return {"post": op(summary, {"200": one}, errors=("403", "404", "409"), op_id=op_id,
                           parameters=acting, body=body(Seen), body_required=False)}

    return {
        "/broadcasts": {"post": op(
            "Draft a broadcast", {"201": answer(Broadcast, "The draft, with what compliance objects to"),
                                  "400": answer(NotCompliant, INVALID)},
            errors=("403",), op_id="createBroadcast", body=body(BroadcastNew))},
        "/broadcasts/{broadcast_id}": {
            "get": op("A broadcast", {"200": one}, errors=("403", "404"), op_id="getBroadcast",
                      parameters=[broadcast_id]),
            "patch": op("Edit a broadcast's content (a submitted or approved one goes back to draft)",
                        {"200": one, "400": answer(NotCompliant, INVALID)}, errors=("403", "404", "409"),
                        op_id="updateBroadcast",
                        parameters=acting, body=body(BroadcastEdit))},
        "/broadcasts/{broadcast_id}/preview": {"get": op(
            "The text for a sample recipient and the figures for the whole audience",
            {"200": answer(Preview, "The preview")}, errors=("403", "404"), op_id="previewBroadcast",
            parameters=[broadcast_id])},
        "/broadcasts/{broadcast_id}/submit": {"post": op(
            "Submit a draft for approval",
            {"200": one, "400": answer(NotCompliant, "Compliance objects; every problem is listed")},
            errors=("403", "404", "409"), op_id="submitBroadcast", parameters=acting, body=body(Seen),
            body_required=False)},
        "/broadcasts/{broadcast_id}/approve": {"post": op(
            "Approve a submitted broadcast (never one's own), as the version the approver read",
            {"200": one}, errors=("400", "403", "404", "409"), op_id="approveBroadcast", parameters=acting,
            body=body(Decision), body_required=False)},
        "/broadcasts/{broadcast_id}/reject": {"post": op(
            "Reject a submitted broadcast, saying why", {"200": one}, errors=("400", "403", "404", "409"),
            op_id="rejectBroadcast", parameters=acting, body=body(Decision))},
        "/broadcasts/{broadcast_id}/schedule": {"post": op(
            "Schedule an approved broadcast: now, at a time, or (commentaries) on every trading day",
            {"200": one, "400": answer(NotCompliant, "Refused; when the approved text no longer passes "
                                                     "compliance, every problem is listed")},
            errors=("403", "404", "409"), op_id="scheduleBroadcast",
            parameters=acting, body=body(Schedule), body_required=False)},
        "/broadcasts/{broadcast_id}/pause": control("pauseBroadcast", "Pause a scheduled or sending broadcast"),
        "/broadcasts/{broadcast_id}/resume": control("resumeBroadcast", "Resume a paused broadcast"),
        "/broadcasts/{broadcast_id}/cancel": control("cancelBroadcast", "Cancel a broadcast not yet finished"),
        "/broadcasts/{broadcast_id}/report": {"get": op(
            "Delivery states, errors, replies and note readers, counted over the recipients",
            {"200": answer(Report, "The report")}, errors=("403", "404"), op_id="broadcastReport",
            parameters=[broadcast_id])},
    }


openapi.register("broadcasts", _paths(),
                 [BroadcastNew, BroadcastChanges, BroadcastEdit, Seen, Broadcast, NotCompliant, Decision, Schedule,
                  Preview, Report])

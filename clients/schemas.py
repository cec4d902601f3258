"""The client book's part of the JSON API, declared once: what clients/api.py accepts (checked at the door by
core.schemas) and answers, and the operations core.openapi describes. Limits come from the service."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from clients.appropriateness import InvestorType, RiskTolerance
from clients.models import ReviewState
from clients.service import MAX_HOW
from clients.tiers import Tier
from core import openapi
from core.http import MAX_PAGE
from core.schemas import Answer, Query, RequestBody, one_of

MAX_PER_PAGE = 500
ACCOUNT_MAX = 64  # the longest account number in a path; longer ones are no client
TIERS = [t.value for t in Tier]
TierCode = one_of(TIERS)
TierFilter = one_of([*TIERS, "vip", "none"])
ChangeKind = one_of(["new", "up", "down", "same"])
ReviewStateCode = one_of(ReviewState)
Count = Annotated[int, Field(ge=0)]
Counts = dict[str, Count]


# ---- requests ----------------------------------------------------------------------------------------------

class ClientQuery(Query):
    tier: TierFilter | None = Field(  # type: ignore[valid-type]
        None, description="A tier, `vip` (the three VIP tiers) or `none` (not reviewed yet)")
    branch: str | None = Field(None, description="营业部")
    staff_code: str | None = Field(None, description="客户经理编号")
    q: str | None = Field(None, description="Part of a name, an account number, or four or more digits of a mobile")
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1")
    per_page: int = Field(50, ge=1, le=MAX_PAGE,
                          description=f"Items per page (default 50; more than {MAX_PER_PAGE} is read as {MAX_PER_PAGE})")


class PageQuery(Query):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1")


class Consent(RequestBody):
    opted_out: bool
    how: str = Field(min_length=1, max_length=MAX_HOW, description="How the client asked, e.g. by phone")


class ReviewRequest(RequestBody):
    quarter: str = Field(max_length=20, examples=["2026Q2"],
                         description="YYYYQn; the service refuses any other form with code tier_review.not_a_quarter")


class Upload(RequestBody):
    file: bytes


# ---- answers ------------------------------------------------------------------------------------------------

class Client(Answer):
    account_no: str
    name: str
    mobile: str | None = Field(description="Whole for the client's owner and admins; else masked, 177****4397")
    mobile_masked: bool = Field(description="Whether `mobile` is masked (POST .../mobile shows it, audited)")
    branch: str | None
    staff_code: str | None
    tier: TierCode | None  # type: ignore[valid-type]
    opted_out: bool
    opened_on: date | None
    last_trade_on: date | None
    last_position_on: date | None
    investor_type: one_of(InvestorType) | None = Field(  # type: ignore[valid-type]
        description="投资者类别: ordinary (普通) or professional (专业); null when not on file (ordinary)")
    investor_type_name: str | None = Field(description="普通投资者 or 专业投资者")
    risk_tolerance: one_of(RiskTolerance) | None = Field(  # type: ignore[valid-type]
        description="风险承受能力 C1 to C5; null when never assessed")
    risk_tolerance_name: str | None = Field(description="保守型, 谨慎型, 稳健型, 积极型 or 激进型")
    risk_assessed_on: date | None = Field(description="风险测评日期; valid for RISK_ASSESSMENT_YEARS years")


class ClientMobile(Answer):
    account_no: str
    mobile: str | None


class ClientPage(Answer):
    items: list[Client]
    total: int
    page: int
    pages: int


class Rejected(Answer):
    line: int
    account_no: str | None
    reason: str


class ImportResult(Answer):
    id: int
    created: int
    updated: int
    unchanged: int
    rejected: list[Rejected]


class ReviewSummary(Answer):
    tiers: Counts
    changes: Counts


class TierChange(Answer):
    account_no: str
    from_: TierCode | None = Field(alias="from")  # type: ignore[valid-type]
    to: TierCode  # type: ignore[valid-type]
    change: ChangeKind  # type: ignore[valid-type]
    rule: str
    avg_equity: str
    avg_commission: str


class Review(Answer):
    id: int
    quarter: str
    state: ReviewStateCode  # type: ignore[valid-type]
    created_at: datetime
    published_at: datetime | None
    summary: ReviewSummary
    changes_total: int
    changes_page: int
    changes_pages: int
    changes: list[TierChange]


# ---- operations ---------------------------------------------------------------------------------------------

def _paths() -> dict:
    op, answer = openapi.operation, openapi.answer
    account = openapi.path_text("account_no", "资金账号", ACCOUNT_MAX, "83001")
    upload = {
        "multipart/form-data": {"schema": openapi.ref(Upload)},
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}},
    }
    imported = answer(ImportResult, "What was created, updated, and rejected with reasons")
    return {
        "/clients": {"get": op(
            "The client book, filtered, one page at a time (business staff: only their own clients)",
            {"200": answer(ClientPage, "One page of clients")}, errors=("400", "403"), op_id="listClients",
            parameters=openapi.query_params(ClientQuery))},
        "/clients/{account_no}": {"get": op(
            "One client", {"200": answer(Client, "The client")}, errors=("403", "404"), op_id="getClient",
            parameters=[account])},
        "/clients/{account_no}/mobile": {"post": op(
            "Show one client's whole mobile number (audited: who, which client, when); not cached",
            {"200": answer(ClientMobile, "The number")}, errors=("403", "404"), op_id="showClientMobile",
            parameters=[account])},
        "/clients/{account_no}/consent": {"post": op(
            "Record an opt-out or opt-in the client gave by phone or in writing",
            {"200": answer(Client, "The client")}, errors=("400", "403", "404"), op_id="setConsent",
            parameters=[account], body=openapi.json_body(Consent))},
        "/clients/import": {"post": op(
            "Import (upsert) clients from a settlement export (CSV in UTF-8 or GBK, or XLSX)",
            {"200": imported}, errors=("400", "403"), op_id="importClients", body=upload)},
        "/clients/import-monthly": {"post": op(
            "Import (upsert) monthly figures by account and month",
            {"200": imported}, errors=("400", "403"), op_id="importMonthly", body=upload)},
    }


def _review_paths() -> dict:
    op, answer = openapi.operation, openapi.answer
    review_id = openapi.path_id("review_id", "The tier review's id")
    return {
        "/tier-reviews": {"post": op(
            "Draft the tier review of an ended quarter for every client",
            {"201": answer(Review, "The draft review")}, errors=("400", "403"), op_id="createReview",
            body=openapi.json_body(ReviewRequest))},
        "/tier-reviews/{review_id}": {"get": op(
            "A review with its summary and one page of its changes",
            {"200": answer(Review, "The review")}, errors=("400", "403", "404"), op_id="getReview",
            parameters=[review_id, *openapi.query_params(PageQuery)])},
        "/tier-reviews/{review_id}/publish": {"post": op(
            "Publish a draft review: its tiers become the clients' tiers",
            {"200": answer(Review, "The published review")}, errors=("403", "404", "409"),
            op_id="publishReview", parameters=[review_id])},
    }


openapi.register("clients", _paths(), [ClientPage, Client, ClientMobile, Consent, ImportResult, Upload])
openapi.register("tiers", _review_paths(), [ReviewRequest, Review])

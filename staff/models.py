"""Staff accounts, the roles each holds, their sign-in sessions, second factors, pending role grants and API
tokens (of tokens, sessions and recovery codes only hashes are stored)."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core import clock
from core.extensions import db, text_enum
from core.roles import Role
from core.timeutil import UTCDateTime

# werkzeug's default (scrypt). Tests lower it to keep hundreds of sign-ins fast; production never does.
PASSWORD_HASH_METHOD = "scrypt"


class Staff(UserMixin, db.Model):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    branch: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    # the settlement system's 客户经理编号; clients name their owner by it
    staff_code: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    # the futures investment-consulting qualification (期货投资咨询从业资格证书编号), such as Z0012345: a trade
    # suggestion or research note names its analyst by it, and cannot be submitted without it
    qualification_no: Mapped[str | None] = mapped_column(sa.String(20))
    active: Mapped[bool] = mapped_column(default=True)
    # an admin asked for a new password: the next sign-in ends on the new-password page, and nothing else opens
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # the TOTP secret (RFC 6238) once enrolled, and the last time step a code was accepted for, so that a code
    # is never accepted twice (a code seen over a shoulder or in a proxy log cannot be replayed)
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # researchers on duty take new research follow-ups in turn; the one routed to longest ago goes next
    on_duty: Mapped[bool] = mapped_column(default=False)
    last_routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the staff member's own handset for test sends of a broadcast (E.164), never `phone` (shown to clients):
    # used only once an admin verified it; changing it clears the verification (staff/test_mobile.py)
    test_mobile: Mapped[str | None] = mapped_column(sa.String(20))
    test_mobile_set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    test_mobile_verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    test_mobile_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", lazy="selectin"
    )
    test_mobile_verified_by: Mapped[Staff | None] = relationship(remote_side=[id], foreign_keys=[test_mobile_verified_by_id])

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.roles)

    def has_role(self, role: Role) -> bool:
        return role in self.role_set

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated account cannot sign in
        return self.active


class StaffRole(db.Model):
    __tablename__ = "staff_roles"
    __table_args__ = (sa.UniqueConstraint("staff_id", "role", name="uq_staff_roles_staff_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=20))

    staff: Mapped[Staff] = relationship(back_populates="roles")


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the token: a leaked database does not leak usable tokens
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    # what the token is for ("nightly import"), shown in the lists
    label: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # API_TOKEN_DAYS after it was made: a forgotten token in an old script stops working on its own
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(default=False)

    staff: Mapped[Staff] = relationship()


_dummy_hashes: dict[str, str] = {}


def check_dummy_password(password: str) -> bool:
    """Checks `password` against a hash made once with the same method as real ones, and says False: sign-in
    does this for an email nobody has, so that answering takes as long as for an account that exists."""
    method = PASSWORD_HASH_METHOD
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("no account has this password", method=method)
    check_password_hash(_dummy_hashes[method], password)
    return False


class StaffSession(db.Model):
    """One signed-in browser: the signed cookie carries a random id, this row its hash. Every request is
    checked against the row, so signing out, a password change, a forced reset or deactivation ends the
    session on the server, and a copied cookie is worth nothing afterwards."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # when the second factor was given; None while sign-in waits for it (or when none is asked)
    second_factor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    staff: Mapped[Staff] = relationship()


class RecoveryCode(db.Model):
    """A one-time code for a lost authenticator, shown once at enrolment; only its SHA-256 is kept (each code
    is random, 50 bits, so a fast hash does not make it guessable)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GrantStatus(str, enum.Enum):
    pending = "pending"
    confirmed = "confirmed"
    cancelled = "cancelled"


class RoleGrant(db.Model):
    """The approver or admin role asked for in the app: held only once a second admin, neither the one who
    asked nor the grantee, confirms it (four eyes on who may approve)."""

    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(text_enum(Role, 20))
    status: Mapped[GrantStatus] = mapped_column(text_enum(GrantStatus, 10), default=GrantStatus.pending)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    staff: Mapped[Staff] = relationship(foreign_keys=[staff_id])
    requested_by: Mapped[Staff | None] = relationship(foreign_keys=[requested_by_id])

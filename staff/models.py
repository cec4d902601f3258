"""Staff accounts, the roles each holds, and API tokens (only their hashes are stored)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core import clock
from core.extensions import db
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
    # researchers on duty take new research follow-ups in turn; the one routed to longest ago goes next
    on_duty: Mapped[bool] = mapped_column(default=False)
    last_routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", lazy="selectin"
    )

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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(default=False)

    staff: Mapped[Staff] = relationship()

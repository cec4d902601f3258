"""The second factor's decisions: TOTP codes (RFC 6238, 30-second steps, 6 digits) and recovery codes. Plain
functions with an explicit `now`, no Flask, no database.

Who is asked: approvers and admins when REQUIRE_SECOND_FACTOR is on (they decide what reaches clients and who
may), and anyone who has enrolled, whatever the setting, so that switching it off never silently weakens an
account that has one. Bearer API tokens are not asked: they are made by an operator from the CLI for scripts.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime

import pyotp
import segno

from core.roles import Role

STEP_SECONDS = 30
# a code is good for its own step and one on either side: a phone whose clock is half a minute off still works
WINDOW = 1
SECOND_FACTOR_ROLES = frozenset({Role.approver, Role.admin})
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


def required(roles: Iterable[Role], enrolled: bool, setting: bool) -> bool:
    """Whether signing in asks for a second factor."""
    return enrolled or (setting and any(Role(r) in SECOND_FACTOR_ROLES for r in roles))


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters, 160 bits


def step_at(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)


def accepted_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step `code` belongs to, if it is right for a step within WINDOW of `now` and later than
    `last_step` (the step of the last code accepted: a code is never accepted twice); None otherwise."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    current = step_at(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def looks_like_totp(code: str) -> bool:
    code = "".join(code.split())
    return len(code) == 6 and code.isdigit()


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The QR code of `uri` as an SVG data URI for an <img>: no JavaScript, no request anywhere."""
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


def new_recovery_codes(n: int = RECOVERY_CODES) -> list[str]:
    """`n` codes like `k7qm2-x9rtp` (50 bits each)."""
    codes = []
    for _ in range(n):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def hash_recovery_code(code: str) -> str:
    """SHA-256 of the code as typed, without spaces or dashes and in lower case."""
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()

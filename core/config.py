"""Configuration read from the environment (and `.env` when present); nothing secret has a default.

`check(config)` validates, once at start, every setting the platform interprets, so a bad value stops the
app with a ConfigError naming it ("QUIET_HOURS: '25:00-08:00' is not like 21:00-08:00") instead of
failing later, in a request or a worker, with a bare ValueError.
"""
from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from dotenv import load_dotenv

from core.calendar import calendar_from_config
from core.errors import SettingProblem
from core.money import parse_price
from core.service_levels import parse_targets

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


class ConfigError(ValueError):
    """A setting with a bad value, found at start; the message names the setting and the value."""

    def __init__(self, setting: str, value: object, reason: str):
        self.setting, self.value, self.reason = setting, value, reason
        super().__init__(f"{setting}: {value!r} {reason}")


def number(setting: str, raw: object, kind: type) -> int | float | Decimal:
    """`raw` (text from the environment, or a number an instance or test config gave) as `kind` (int,
    float or Decimal). Booleans, NaN, infinities and, for int, fractions are not numbers: ConfigError
    naming the setting."""
    word = "a whole number" if kind is int else "a number"
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        raise ConfigError(setting, raw, f"is not {word}")
    text = raw.strip() if isinstance(raw, str) else raw
    if kind is int:
        if isinstance(text, int) or (isinstance(text, str) and re.fullmatch(r"[+-]?\d+", text)):
            return int(text)
        raise ConfigError(setting, raw, f"is not {word}")
    try:
        value = Decimal(str(text)) if kind is Decimal else float(text)
    except (ValueError, ArithmeticError):
        raise ConfigError(setting, raw, f"is not {word}") from None
    if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
        raise ConfigError(setting, raw, f"is not {word}")
    return value


@dataclass(frozen=True)
class Bound:
    """What a numeric setting must be: its kind (int, float, Decimal) and range; `low_open`/`high_open`
    leave that end out of the range."""

    kind: type
    low: int
    high: int
    low_open: bool = False
    high_open: bool = False

    def check(self, setting: str, raw: object) -> None:
        value = number(setting, raw, self.kind)
        too_low = value <= self.low if self.low_open else value < self.low
        too_high = value >= self.high if self.high_open else value > self.high
        if too_low or too_high:
            raise ConfigError(setting, raw, f"is not {self.describe()}")

    def describe(self) -> str:
        word = "a whole number" if self.kind is int else "a number"
        if not (self.low_open or self.high_open):
            return f"{word} from {self.low} to {self.high}"
        return (f"{word} {'above' if self.low_open else 'at least'} {self.low} "
                f"and {'below' if self.high_open else 'at most'} {self.high}")


NUMBERS: dict[str, Bound] = {
    "SMS_RATE_PER_SECOND": Bound(float, 0, 10_000, low_open=True),  # all workers together
    "SMS_CONCURRENCY": Bound(int, 1, 256),  # requests in flight per worker
    "SMS_MAX_ATTEMPTS": Bound(int, 1, 20),
    "SMS_TIMEOUT_SECONDS": Bound(float, 0, 300, low_open=True),
    "MAX_SEGMENTS": Bound(int, 1, 10),  # carriers and Twilio advise at most 10 parts to a long message
    "NOTE_LINK_DAYS": Bound(int, 1, 365),
    "RETENTION_YEARS": Bound(int, 5, 100),  # records (messages, audit, seals) kept at least this long
    "FOLLOWUP_WINDOW_DAYS": Bound(float, 0, 30, low_open=True),
    "POSITION_CAP_PCT": Bound(Decimal, 0, 100, low_open=True, high_open=True),  # never a full position
    "WORKER_DEAD_AFTER_SECONDS": Bound(float, 0, 3600, low_open=True),
    "SIMULATOR_FAILURE_SHARE": Bound(float, 0, 1),
    "MAX_UPLOAD_MB": Bound(int, 1, 1024),  # the largest settlement export a form or the API takes
    "LATE_GRACE_SECONDS": Bound(int, 0, 3600),  # how late a scheduled broadcast may still start on its own
    "API_TOKEN_DAYS": Bound(int, 1, 3650),  # how long an API token lasts (and the most the CLI may give one)
    "RISK_ASSESSMENT_YEARS": Bound(int, 1, 10),  # how long a client's risk assessment (风险测评) holds
}

RISK_LEVELS = ("R1", "R2", "R3", "R4", "R5")  # clients.appropriateness.RiskLevel, which core may not import


def check(config: Mapping) -> None:
    """Checks, once at start, every setting the platform interprets: the numbers in NUMBERS,
    SUGGESTION_RISK_LEVEL, QUIET_HOURS, SERVICE_HOURS, HOLIDAYS, TIMEZONE (core/calendar.py) and
    RESPONSE_TARGETS (core/service_levels.py), SMS_PRICE_PER_SEGMENT (core/money.py), and PUBLIC_BASE_URL,
    required with SMS_GATEWAY=twilio.

    Raises ConfigError naming the first bad setting and its value; returns None when all are good. A
    setting left out is not an error: whoever reads it has a default.
    """
    for name, bound in NUMBERS.items():
        if name in config:
            bound.check(name, config[name])
    level = config.get("SUGGESTION_RISK_LEVEL")
    if level is not None and (not isinstance(level, str) or level.strip().upper() not in RISK_LEVELS):
        raise ConfigError("SUGGESTION_RISK_LEVEL", level, "is not a risk level R1 to R5")
    for name in FLAGS:
        if name in config and not isinstance(config[name], bool):
            raise ConfigError(name, config[name], "is not on or off (1/0, true/false, yes/no, on/off)")
    if config.get("SMS_GATEWAY") == "twilio" and not str(config.get("PUBLIC_BASE_URL") or "").strip():
        raise ConfigError("PUBLIC_BASE_URL", config.get("PUBLIC_BASE_URL"),
                          "is required with SMS_GATEWAY=twilio: Twilio signs its webhooks over this public address "
                          "(https://your-host), and the note links in the texts point to it")
    targets = config.get("RESPONSE_TARGETS")
    if targets is not None and not isinstance(targets, str):
        raise ConfigError("RESPONSE_TARGETS", targets, "is not text")
    try:
        if "SMS_PRICE_PER_SEGMENT" in config:  # an amount and its currency, core/money.py
            parse_price(config["SMS_PRICE_PER_SEGMENT"])
        calendar_from_config(config)
        parse_targets(targets)
    except SettingProblem as exc:
        setting = exc.setting or "settings"
        raise ConfigError(setting, config.get(setting), exc.reason) from exc


# settings that are on or off; from the environment 1/0, true/false, yes/no, on/off
FLAGS = ("REQUIRE_SECOND_FACTOR",)
_FLAG_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False,
               "off": False}


def _env_flag(name: str, default: bool) -> bool:
    """The environment variable `name` as on or off (`default` when unset); ConfigError naming it otherwise."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    if raw.strip().lower() not in _FLAG_WORDS:
        raise ConfigError(name, raw, "is not on or off (1/0, true/false, yes/no, on/off)")
    return _FLAG_WORDS[raw.strip().lower()]


def _env_number(name: str, default: str, kind: type) -> int | float | Decimal:
    """The environment variable `name` (or `default`) as a number; ConfigError naming it when it is not."""
    return number(name, os.environ.get(name, default), kind)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else a random key kept in instance/ (never in the repository)."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def normalise_db_url(url: str) -> str:
    """Accept the usual `postgres://` and `postgresql://` spellings and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def from_environment() -> dict:
    load_dotenv(ROOT / ".env")
    INSTANCE.mkdir(exist_ok=True)
    default_db = f"sqlite:///{INSTANCE / 'futures_sms.db'}"
    # the simulator's callbacks and the note links go to the app itself: `flask serve` puts the address it listens
    # on here when PUBLIC_BASE_URL is unset. Twilio signs its webhooks over the public address, which nothing
    # can guess: with SMS_GATEWAY=twilio it stays empty and `check` refuses to start without it
    twilio = os.environ.get("SMS_GATEWAY", "simulator") == "twilio"
    public_base_url = os.environ.get("PUBLIC_BASE_URL", "" if twilio else "http://127.0.0.1:5000").rstrip("/")
    return {
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": normalise_db_url(os.environ.get("DATABASE_URL", default_db)),
        "TIMEZONE": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        # a process started by a test (a worker) runs on the test's time; honoured only when TESTING=1
        "TESTING": os.environ.get("TESTING") == "1",
        "FAKE_NOW": os.environ.get("FAKE_NOW", ""),
        "COMPANY_NAME": os.environ.get("COMPANY_NAME", "示例期货"),
        "MAX_UPLOAD_MB": _env_number("MAX_UPLOAD_MB", "20", int),
        "MAX_CONTENT_LENGTH": _env_number("MAX_UPLOAD_MB", "20", int) * 1024 * 1024,
        "LATE_GRACE_SECONDS": _env_number("LATE_GRACE_SECONDS", "120", int),
        # investor appropriateness: a trade suggestion's least risk level; how many years an assessment holds
        "SUGGESTION_RISK_LEVEL": os.environ.get("SUGGESTION_RISK_LEVEL", "R4"),
        "RISK_ASSESSMENT_YEARS": _env_number("RISK_ASSESSMENT_YEARS", "3", int),
        # a connection the database dropped (a restart, a failover) is replaced instead of failing a request;
        # an SQL error is logged without its bound parameters (a client's mobile, name or note)
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # sign-in attempts (Flask-Limiter); storage: memory:// for one process, redis://host:6379 for several
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "LOGIN_LIMIT": os.environ.get("LOGIN_LIMIT", "10 per minute;50 per hour"),
        # the same for one account (the email), whatever the addresses; empty means LOGIN_LIMIT
        "LOGIN_ACCOUNT_LIMIT": os.environ.get("LOGIN_ACCOUNT_LIMIT", ""),
        "RATELIMIT_ENABLED": True,
        # approvers and admins sign in with a second factor (TOTP); API tokens last API_TOKEN_DAYS
        "REQUIRE_SECOND_FACTOR": _env_flag("REQUIRE_SECOND_FACTOR", True),
        "API_TOKEN_DAYS": _env_number("API_TOKEN_DAYS", "90", int),
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "LANGUAGES": ("zh", "en"),
        "CLIENTS_PER_PAGE": 50,
        # broadcasts
        "PUBLIC_BASE_URL": public_base_url,
        "OPT_OUT_LINE_ZH": os.environ.get("OPT_OUT_LINE_ZH", "拒收请回复R"),
        "OPT_OUT_LINE_EN": os.environ.get("OPT_OUT_LINE_EN", "Reply STOP to opt out"),
        "SMS_PRICE_PER_SEGMENT": os.environ.get("SMS_PRICE_PER_SEGMENT", "0.05"),
        "SMS_RATE_PER_SECOND": _env_number("SMS_RATE_PER_SECOND", "10", float),
        "POSITION_CAP_PCT": os.environ.get("POSITION_CAP_PCT", "30"),
        "MAX_SEGMENTS": _env_number("MAX_SEGMENTS", "6", int),
        "NOTE_LINK_DAYS": _env_number("NOTE_LINK_DAYS", "7", int),
        # records (messages to clients, audit entries, their seals, sent broadcasts) are never deleted younger
        "RETENTION_YEARS": _env_number("RETENTION_YEARS", "20", int),
        "QUIET_HOURS": os.environ.get("QUIET_HOURS", "21:00-08:00"),
        "HOLIDAYS": os.environ.get("HOLIDAYS", ""),
        "SMS_GATEWAY": os.environ.get("SMS_GATEWAY", "simulator"),
        "SMS_CONCURRENCY": _env_number("SMS_CONCURRENCY", "8", int),
        "SMS_MAX_ATTEMPTS": _env_number("SMS_MAX_ATTEMPTS", "5", int),
        "SMS_TIMEOUT_SECONDS": _env_number("SMS_TIMEOUT_SECONDS", "10", float),
        # workers (PostgreSQL): how long the leader waits, after it first finds a worker's liveness lock gone,
        # before it marks what that worker was handing over as unknown; longer than a database restart's reconnect
        "WORKER_DEAD_AFTER_SECONDS": _env_number("WORKER_DEAD_AFTER_SECONDS", "10", float),
        "SIMULATOR_FAILURE_SHARE": _env_number("SIMULATOR_FAILURE_SHARE", "0.02", float),
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_MESSAGING_SERVICE_SID": os.environ.get("TWILIO_MESSAGING_SERVICE_SID", ""),
        "TWILIO_FROM": os.environ.get("TWILIO_FROM", ""),
        "TWILIO_API_BASE": os.environ.get("TWILIO_API_BASE", ""),
        # follow-ups: reply window, service hours, first-response targets (minutes), automatic texts
        "FOLLOWUP_WINDOW_DAYS": _env_number("FOLLOWUP_WINDOW_DAYS", "3", float),
        "SERVICE_HOURS": os.environ.get("SERVICE_HOURS", "08:30-21:00"),
        "RESPONSE_TARGETS": os.environ.get("RESPONSE_TARGETS", "diamond=15,complaint=15,vip=30,other=120"),
        "AUTO_ACK_TEXT": os.environ.get("AUTO_ACK_TEXT", ""),
        **{f"{key}_TEXT": os.environ[f"{key}_TEXT"] for key in
           ("CARD_ZH", "CARD_EN", "OPT_OUT_ZH", "OPT_OUT_EN", "OPT_IN_ZH", "OPT_IN_EN") if os.environ.get(f"{key}_TEXT")},
        # extra phrases that promise a profit, separated by "|", added to the shipped list
        "PROFIT_PHRASES_EXTRA": [p.strip() for p in os.environ.get("PROFIT_PHRASES_EXTRA", "").split("|") if p.strip()],
    }

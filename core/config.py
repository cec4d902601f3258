"""Configuration read from the environment (and `.env` when present); nothing secret has a default."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


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
    public_base_url = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return {
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": normalise_db_url(os.environ.get("DATABASE_URL", default_db)),
        "TIMEZONE": os.environ.get("TIMEZONE", "Asia/Shanghai"),
        "COMPANY_NAME": os.environ.get("COMPANY_NAME", "示例期货"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        # a connection the database dropped (a restart, a failover) is replaced instead of failing a request
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
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
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "LANGUAGES": ("zh", "en"),
        "CLIENTS_PER_PAGE": 50,
        # broadcasts
        "PUBLIC_BASE_URL": public_base_url,
        "OPT_OUT_LINE_ZH": os.environ.get("OPT_OUT_LINE_ZH", "拒收请回复R"),
        "OPT_OUT_LINE_EN": os.environ.get("OPT_OUT_LINE_EN", "Reply STOP to opt out"),
        "SMS_PRICE_PER_SEGMENT": os.environ.get("SMS_PRICE_PER_SEGMENT", "0.05"),
        "SMS_RATE_PER_SECOND": float(os.environ.get("SMS_RATE_PER_SECOND", "10")),
        "POSITION_CAP_PCT": os.environ.get("POSITION_CAP_PCT", "30"),
        "MAX_SEGMENTS": int(os.environ.get("MAX_SEGMENTS", "6")),
        "NOTE_LINK_DAYS": int(os.environ.get("NOTE_LINK_DAYS", "7")),
        "QUIET_HOURS": os.environ.get("QUIET_HOURS", "21:00-08:00"),
        "HOLIDAYS": os.environ.get("HOLIDAYS", ""),
        "SMS_GATEWAY": os.environ.get("SMS_GATEWAY", "simulator"),
        "SMS_CONCURRENCY": int(os.environ.get("SMS_CONCURRENCY", "8")),
        "SMS_MAX_ATTEMPTS": int(os.environ.get("SMS_MAX_ATTEMPTS", "5")),
        "SMS_TIMEOUT_SECONDS": float(os.environ.get("SMS_TIMEOUT_SECONDS", "10")),
        # workers (PostgreSQL): how long the leader waits, after it first finds a worker's liveness lock gone,
        # before it marks what that worker was handing over as unknown; longer than a database restart's reconnect
        "WORKER_DEAD_AFTER_SECONDS": float(os.environ.get("WORKER_DEAD_AFTER_SECONDS", "10")),
        "SIMULATOR_FAILURE_SHARE": float(os.environ.get("SIMULATOR_FAILURE_SHARE", "0.02")),
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_MESSAGING_SERVICE_SID": os.environ.get("TWILIO_MESSAGING_SERVICE_SID", ""),
        "TWILIO_FROM": os.environ.get("TWILIO_FROM", ""),
        "TWILIO_API_BASE": os.environ.get("TWILIO_API_BASE", ""),
        # follow-ups: reply window, service hours, first-response targets (minutes), automatic texts
        "FOLLOWUP_WINDOW_DAYS": float(os.environ.get("FOLLOWUP_WINDOW_DAYS", "3")),
        "SERVICE_HOURS": os.environ.get("SERVICE_HOURS", "08:30-21:00"),
        "RESPONSE_TARGETS": os.environ.get("RESPONSE_TARGETS", "diamond=15,complaint=15,vip=30,other=120"),
        "AUTO_ACK_TEXT": os.environ.get("AUTO_ACK_TEXT", ""),
        **{f"{key}_TEXT": os.environ[f"{key}_TEXT"] for key in
           ("CARD_ZH", "CARD_EN", "OPT_OUT_ZH", "OPT_OUT_EN", "OPT_IN_ZH", "OPT_IN_EN") if os.environ.get(f"{key}_TEXT")},
        # extra phrases that promise a profit, separated by "|", added to the shipped list
        "PROFIT_PHRASES_EXTRA": [p.strip() for p in os.environ.get("PROFIT_PHRASES_EXTRA", "").split("|") if p.strip()],
    }

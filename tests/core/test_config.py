"""Settings are read and checked once at start (core.config.check): a bad value stops the app with a
ConfigError naming the setting and the value, instead of failing later in a request or a worker.

Pure: `check` takes a plain dict. Only the last test builds an app, to see that create_app calls `check`.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from core import config, money
from core.config import ConfigError, check

NUMERIC = ["SMS_RATE_PER_SECOND", "SMS_CONCURRENCY", "SMS_MAX_ATTEMPTS", "SMS_TIMEOUT_SECONDS", "MAX_SEGMENTS",
           "NOTE_LINK_DAYS", "FOLLOWUP_WINDOW_DAYS", "SMS_PRICE_PER_SEGMENT", "POSITION_CAP_PCT",
           "WORKER_DEAD_AFTER_SECONDS", "SIMULATOR_FAILURE_SHARE"]


@pytest.fixture
def environment(monkeypatch):
    """A clean environment for from_environment: none of the checked settings set, a fixed SECRET_KEY."""
    for name in [*NUMERIC, "MAX_UPLOAD_MB", "QUIET_HOURS", "SERVICE_HOURS", "HOLIDAYS", "TIMEZONE",
                 "RESPONSE_TARGETS"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    return monkeypatch


def test_the_defaults_pass(environment):
    check(config.from_environment())


def test_nothing_set_passes():
    check({})


# ---- the price of a segment: an amount and its currency (core/money.py) ---------------------------------------

@pytest.mark.parametrize(("value", "amount", "currency"), [
    ("0", "0", "CNY"), ("0.05", "0.05", "CNY"), (Decimal("10"), "10", "CNY"), ("0.0079 USD", "0.0079", "USD"),
    ("USD 0.0079", "0.0079", "USD"), ("cny0.05", "0.05", "CNY"), (" 0.05 hkd ", "0.05", "HKD"),
])
def test_a_price_is_an_amount_and_a_currency(value, amount, currency):
    check({"SMS_PRICE_PER_SEGMENT": value})
    assert money.parse_price(value) == money.Price(Decimal(amount), currency)


@pytest.mark.parametrize(("value", "reason"), [
    ("-0.01", "is not a price such as 0.05 CNY"), ("10.01", "is more than 10 a segment"),
    ("¥0.05", "is not a price such as 0.05 CNY"), ("sNaN", "is not a price"), ("USD 1 CNY", "is not a price"),
    ("0.05 XYZ", "XYZ, which is not an ISO 4217 currency code"), (True, "is not a price"), (None, "is not a price"),
])
def test_a_bad_price_is_named(value, reason):
    with pytest.raises(ConfigError) as info:
        check({"SMS_PRICE_PER_SEGMENT": value})
    assert info.value.setting == "SMS_PRICE_PER_SEGMENT" and reason in str(info.value)


@pytest.mark.parametrize(("amount", "currency", "language", "shown"), [
    ("0.92", "USD", "zh", "US$0.92"), ("18.4", "CNY", "zh", "¥18.40"), ("0.92", "USD", "en", "US$0.92"),
    ("1234.5", "CNY", "en", "CN¥1,234.50"), ("0.006", "USD", "en", "US$0.01"),
])
def test_money_shows_its_currency(amount, currency, language, shown):
    assert money.format_money(Decimal(amount), currency, language) == shown


def test_the_message_names_the_setting_and_the_value():
    with pytest.raises(ConfigError) as info:
        check({"QUIET_HOURS": "25:00-08:00"})
    assert str(info.value) == "QUIET_HOURS: '25:00-08:00' is not like 21:00-08:00"
    assert (info.value.setting, info.value.value) == ("QUIET_HOURS", "25:00-08:00")
    assert isinstance(info.value, ValueError)


# ---- numbers: at and just past each bound ----------------------------------------------------------------

GOOD_NUMBERS = [
    ("SMS_RATE_PER_SECOND", "0.5"), ("SMS_RATE_PER_SECOND", 1000), ("SMS_RATE_PER_SECOND", "10000"),
    ("SMS_CONCURRENCY", 1), ("SMS_CONCURRENCY", " 8 "), ("SMS_CONCURRENCY", 256),
    ("SMS_MAX_ATTEMPTS", 1), ("SMS_MAX_ATTEMPTS", "20"),
    ("SMS_TIMEOUT_SECONDS", 0.1), ("SMS_TIMEOUT_SECONDS", "300"),
    ("MAX_SEGMENTS", 1), ("MAX_SEGMENTS", "10"),
    ("NOTE_LINK_DAYS", 1), ("NOTE_LINK_DAYS", "365"),
    ("FOLLOWUP_WINDOW_DAYS", 0.5), ("FOLLOWUP_WINDOW_DAYS", "30"),
    ("POSITION_CAP_PCT", "0.01"), ("POSITION_CAP_PCT", "30"), ("POSITION_CAP_PCT", "99.99"),
    ("WORKER_DEAD_AFTER_SECONDS", 3), ("SIMULATOR_FAILURE_SHARE", 0), ("SIMULATOR_FAILURE_SHARE", "1"),
]


@pytest.mark.parametrize(("setting", "value"), GOOD_NUMBERS)
def test_good_numbers_pass(setting, value):
    check({setting: value})


# (setting, value, what the message says it should be)
BAD_NUMBERS = [
    ("SMS_RATE_PER_SECOND", "0", "is not a number above 0 and at most 10000"),
    ("SMS_RATE_PER_SECOND", "10000.5", "is not a number above 0 and at most 10000"),
    ("SMS_RATE_PER_SECOND", "fast", "is not a number"),
    ("SMS_RATE_PER_SECOND", "nan", "is not a number"),
    ("SMS_RATE_PER_SECOND", "inf", "is not a number"),
    ("SMS_RATE_PER_SECOND", True, "is not a number"),
    ("SMS_RATE_PER_SECOND", None, "is not a number"),
    ("SMS_CONCURRENCY", 0, "is not a whole number from 1 to 256"),
    ("SMS_CONCURRENCY", "257", "is not a whole number from 1 to 256"),
    ("SMS_CONCURRENCY", "8.5", "is not a whole number"),
    ("SMS_CONCURRENCY", 8.0, "is not a whole number"),
    ("SMS_MAX_ATTEMPTS", "0", "is not a whole number from 1 to 20"),
    ("SMS_MAX_ATTEMPTS", 21, "is not a whole number from 1 to 20"),
    ("SMS_TIMEOUT_SECONDS", 0, "is not a number above 0 and at most 300"),
    ("SMS_TIMEOUT_SECONDS", "301", "is not a number above 0 and at most 300"),
    ("MAX_SEGMENTS", "0", "is not a whole number from 1 to 10"),
    ("MAX_SEGMENTS", 11, "is not a whole number from 1 to 10"),
    ("NOTE_LINK_DAYS", "7 days", "is not a whole number"),
    ("NOTE_LINK_DAYS", 366, "is not a whole number from 1 to 365"),
    ("FOLLOWUP_WINDOW_DAYS", "0", "is not a number above 0 and at most 30"),
    ("FOLLOWUP_WINDOW_DAYS", "-1", "is not a number above 0 and at most 30"),
    ("POSITION_CAP_PCT", "0", "is not a number above 0 and below 100"),
    ("POSITION_CAP_PCT", "100", "is not a number above 0 and below 100"),
    ("POSITION_CAP_PCT", "30%", "is not a number"),
    ("SIMULATOR_FAILURE_SHARE", "1.5", "is not a number from 0 to 1"),
]


@pytest.mark.parametrize(("setting", "value", "reason"), BAD_NUMBERS)
def test_bad_numbers_are_named(setting, value, reason):
    with pytest.raises(ConfigError) as info:
        check({setting: value})
    assert str(info.value) == f"{setting}: {value!r} {reason}"


# ---- calendar settings and response targets --------------------------------------------------------------

# (setting, value, the message after "SETTING: 'value' ")
BAD_TEXTS = [
    ("QUIET_HOURS", "nonsense", "is not like 21:00-08:00"),
    ("QUIET_HOURS", 2100, "is not like 21:00-08:00"),
    ("HOLIDAYS", 2026, "has '2026', which is not a date"),
    ("SERVICE_HOURS", "8-21", "is not like 08:30-21:00"),
    ("SERVICE_HOURS", "21:00-08:30", "must start before it ends, within one day"),
    ("HOLIDAYS", "2026-10-01,2026-02-30", "has '2026-02-30', which is not a date"),
    ("TIMEZONE", "Asia/Beijing", "is not a time zone such as Asia/Shanghai"),
    ("TIMEZONE", "", "is not a time zone such as Asia/Shanghai"),
    ("RESPONSE_TARGETS", "gold=30", "has 'gold=30', which is not one of diamond, complaint, vip, other"),
    ("RESPONSE_TARGETS", "vip=30,vip=15", "gives 'vip' twice"),
    ("RESPONSE_TARGETS", "vip=0", "has vip='0', not a whole number of minutes from 1 to 10080"),
    ("RESPONSE_TARGETS", 30, "is not text"),
]


@pytest.mark.parametrize(("setting", "value", "reason"), BAD_TEXTS)
def test_bad_calendar_and_target_settings_are_named(setting, value, reason):
    with pytest.raises(ConfigError) as info:
        check({setting: value})
    assert str(info.value) == f"{setting}: {value!r} {reason}"


@pytest.mark.parametrize(("setting", "value"), [
    ("QUIET_HOURS", ""), ("QUIET_HOURS", "22:00-07:00"), ("SERVICE_HOURS", "09:00-17:30"),
    ("HOLIDAYS", "2031-10-01,2031-10-02\n2031-10-03"), ("HOLIDAYS", ""), ("TIMEZONE", "Europe/London"),
    ("RESPONSE_TARGETS", "vip=20"), ("RESPONSE_TARGETS", ""),
])
def test_good_calendar_and_target_settings_pass(setting, value):
    check({setting: value})


# ---- from the environment --------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "value"), [
    ("SMS_RATE_PER_SECOND", "ten"), ("SMS_CONCURRENCY", "8.5"), ("MAX_UPLOAD_MB", "20MB"),
    ("FOLLOWUP_WINDOW_DAYS", "three"), ("NOTE_LINK_DAYS", ""),
])
def test_from_environment_names_a_setting_that_is_not_a_number(environment, name, value):
    environment.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        config.from_environment()
    assert info.value.setting == name and str(info.value).startswith(f"{name}: {value!r} ")


def test_from_environment_gives_numbers_as_before(environment):
    environment.setenv("SMS_RATE_PER_SECOND", "25")
    environment.setenv("SMS_CONCURRENCY", "4")
    settings = config.from_environment()
    assert settings["SMS_RATE_PER_SECOND"] == 25.0 and isinstance(settings["SMS_RATE_PER_SECOND"], float)
    assert settings["SMS_CONCURRENCY"] == 4 and isinstance(settings["SMS_CONCURRENCY"], int)


# ---- at start --------------------------------------------------------------------------------------------

def test_create_app_refuses_a_bad_setting():
    from app import create_app

    with pytest.raises(ConfigError, match="^QUIET_HOURS: 'nonsense' "):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                    "QUIET_HOURS": "nonsense"})


def test_twilio_needs_the_public_address_the_simulator_does_not(environment):
    """Twilio signs its webhooks over PUBLIC_BASE_URL: with it, the app refuses to start without one. The
    simulator's default is the app's own address (`flask serve` puts the port it listens on there)."""
    environment.delenv("PUBLIC_BASE_URL", raising=False)
    environment.setenv("SMS_GATEWAY", "twilio")
    settings = config.from_environment()
    assert settings["PUBLIC_BASE_URL"] == ""
    with pytest.raises(ConfigError) as info:
        check(settings)
    assert info.value.setting == "PUBLIC_BASE_URL" and "SMS_GATEWAY=twilio" in str(info.value)
    environment.setenv("PUBLIC_BASE_URL", "https://sms.example.com/")
    check(config.from_environment())
    environment.setenv("SMS_GATEWAY", "simulator")
    environment.delenv("PUBLIC_BASE_URL")
    assert config.from_environment()["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    check(config.from_environment())


def test_serve_listens_where_the_simulator_calls_back():
    from messaging.cli import served_base_url

    assert served_base_url(None, "0.0.0.0", 5077, "http://127.0.0.1:5000") == "http://127.0.0.1:5077"
    assert served_base_url("https://sms.example.com", "0.0.0.0", 5077, "https://sms.example.com") \
        == "https://sms.example.com"

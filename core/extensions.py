"""Extension singletons, created unbound so that any module can import them without cycles."""
import sqlite3

import sqlalchemy as sa
from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# no default limits: only the routes that say so (sign-in) are limited
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _limits_off_in_this_app() -> bool:
    """The limiter is one object for every app of the process, and whether it is on is its own state, set by
    the last app initialised: each app's RATELIMIT_ENABLED decides for that app's requests instead."""
    return not current_app.config.get("RATELIMIT_ENABLED", True)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite, the embedded default, serves the web app and the worker at once: write-ahead logging lets
    readers go on while one writes, and a busy timeout makes a writer wait rather than fail."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()


def text_enum(cls, length: int) -> sa.Enum:
    """A column of a str enum stored as its value in a VARCHAR (no native enum type, so adding a member needs
    no ALTER TYPE), checked on the way in."""
    return sa.Enum(cls, native_enum=False, length=length, validate_strings=True)

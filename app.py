"""The application factory: configuration, extensions, blueprints and CLI groups; nothing else."""
from __future__ import annotations

import logging

from flask import Flask, session
from flask_login import current_user

from core import clock, headers, http, logsafe
from core import config as config_module
from core.extensions import babel, csrf, db, limiter, login_manager, migrate


def select_locale() -> str:
    from flask import current_app

    if http.is_api():  # the API's own rule (core.http.api_locale), never a page session's choice
        return http.api_locale()
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return http.accepted_language(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = http.DatabaseId  # before any route is added
    app.config.from_mapping(config_module.from_environment())
    if config:
        app.config.update(config)
    config_module.check(app.config)  # every setting checked once, before anything uses one
    # when the site is served over https, its cookies never travel over plain HTTP
    https = app.config["PUBLIC_BASE_URL"].startswith("https://")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if key not in (config or {}):  # unless the caller decided
            app.config[key] = https
    logging.basicConfig(level=logging.INFO)
    logsafe.install()  # database errors are logged without the values they carried
    clock.init_app(app)
    _warn_of_uncovered_years(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.login_message = None
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: app.config["TIMEZONE"])

    # models are imported so that Alembic and db.create_all() see every table
    from broadcast import draft_views as _draft_views  # noqa: F401  (its routes are on broadcast's blueprint)
    from broadcast import models as _broadcast_models  # noqa: F401
    from broadcast import test_send_views as _test_send_views  # noqa: F401  (its route is on broadcast's blueprint)
    from broadcast.api import bp as broadcast_api
    from broadcast.notes_views import bp as notes_bp
    from broadcast.views import bp as broadcast_bp
    from clients import models as _clients_models  # noqa: F401
    from clients.api import bp as clients_api
    from clients.views import bp as clients_bp
    from core import audit  # noqa: F401
    from core.openapi import bp as openapi_bp
    from core.views import bp as core_bp
    from followups import models as _followups_models  # noqa: F401
    from followups.api import bp as followups_api
    from followups.phone import bp as phone_bp
    from followups.views import bp as followups_bp
    from messaging import models as _messaging_models  # noqa: F401
    from messaging.webhooks import bp as sms_bp
    from records import models as _records_models  # noqa: F401
    from staff import models as _staff_models  # noqa: F401
    from staff.views import bp as staff_bp

    for blueprint in (core_bp, staff_bp, clients_bp, clients_api, broadcast_bp, broadcast_api, followups_api, sms_bp, notes_bp,
                      followups_bp, phone_bp, openapi_bp):
        app.register_blueprint(blueprint)
    http.init_app(app)
    headers.init_app(app)

    from clients.cli import clients_cli, tiers_cli
    from clients.demo import demo_cli
    from messaging.cli import serve_command, worker_command
    from records.cli import audit_cli
    from staff.cli import users_cli

    for group in (users_cli, clients_cli, tiers_cli, demo_cli, worker_command, serve_command, audit_cli):
        app.cli.add_command(group)

    _connect_domains(app)

    from core.templating import init_app as init_templating

    init_templating(app)
    from broadcast import labels as broadcast_labels
    from clients import labels as clients_labels
    from followups import labels as followups_labels
    from messaging import labels as messaging_labels
    from records import labels as records_labels
    from staff import labels as staff_labels

    for labels in (staff_labels, clients_labels, messaging_labels, broadcast_labels, followups_labels,
                   records_labels):
        labels.init_app(app)  # each domain's words for the templates
    return app


def _connect_domains(app: Flask) -> None:
    """The domains above messaging hand it what it must run without knowing them: their periodic jobs, the
    holds on their messages and the handler of a stored reply (messaging.hooks)."""
    from broadcast import sending, tick
    from followups import intake
    from messaging import hooks
    from records import chain, retention

    hooks.init_app(app)
    hooks.register_job(app, "broadcasts: start due, expire, finish", tick.job)
    hooks.register_job(app, "follow-ups: route replies left behind", intake.stragglers_job)
    hooks.register_job(app, "records: seal what was written into the chain", chain.job)
    retention.install()  # records are not deleted before RETENTION_YEARS
    hooks.register_hold(app, sending.claimable)
    hooks.register_inbound(app, intake.handle)


def _warn_of_uncovered_years(app: Flask) -> None:
    """The statutory holidays of a year come from the chinese_calendar package once the State Council has
    published them; for a year it does not cover yet, trading days are the weekdays minus HOLIDAYS. Say so
    at start (the admins' home page says it too), so that someone adds HOLIDAYS or upgrades the package."""
    from core.calendar import uncovered_years

    today = clock.local_today(app.config["TIMEZONE"])
    missing = uncovered_years([today.year, today.year + 1])
    if missing:
        app.logger.warning("the holiday calendar does not cover %s: trading days there are weekdays minus HOLIDAYS "
                           "(set HOLIDAYS or upgrade chinese-calendar)", ", ".join(map(str, missing)))

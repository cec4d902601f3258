"""`flask worker`: the process that schedules and sends."""
from __future__ import annotations

import os
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from messaging.leader import AlreadyRunning
from messaging.worker import Worker
from sms.gateway import from_config


@click.command("worker")
@click.option("--status", is_flag=True, help="List the workers registered in the database (alive, leading) and exit.")
@with_appcontext
def worker_command(status):
    """Send messages and run the scheduler until stopped (Ctrl+C or SIGTERM).

    \b
    PostgreSQL: run as many workers as you like, on one machine or several, all
    with the same settings. All of them send; no message is handed over twice.
    One of them leads: it starts scheduled broadcasts, finishes them, and marks
    unknown what a dead worker left half handed over. When the leader stops or
    dies another takes over within seconds. SMS_RATE_PER_SECOND is the limit
    for all workers together. A database restart is waited out.
    SQLite: one worker per database; a second one is refused.

    \b
    Settings that matter: DATABASE_URL, SECRET_KEY, PUBLIC_BASE_URL (status
    callbacks go to PUBLIC_BASE_URL/sms/status), SMS_GATEWAY and TWILIO_*,
    SMS_RATE_PER_SECOND, SMS_CONCURRENCY (parallel requests per worker),
    SMS_MAX_ATTEMPTS, SMS_TIMEOUT_SECONDS, QUIET_HOURS, TIMEZONE.
    See docs/deployment.md.
    """
    app = current_app._get_current_object()
    if status:
        _print_status()
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker = Worker(app, from_config(app.config))
    click.echo(f"worker: gateway {worker.gateway.name}, status callbacks to {worker.callback_url}")
    try:
        worker.run(stop)
    except AlreadyRunning as exc:
        raise click.ClickException(str(exc)) from None


def _print_status() -> None:
    """The registered workers, newest first, with whether each is alive and which one leads (PostgreSQL)."""
    import sqlalchemy as sa

    from core.extensions import db
    from messaging.leader import current_leader, live_workers
    from messaging.models import WorkerProcess

    rows = db.session.scalars(sa.select(WorkerProcess).order_by(WorkerProcess.id.desc()).limit(50)).all()
    if db.engine.dialect.name == "postgresql":
        live, leader = live_workers(db.session.connection()), current_leader(db.session.connection())
    else:  # one worker at most: the newest not stopped, if the file lock is held
        from messaging.leader import WorkerLock

        lock, running = WorkerLock(db.engine), False
        try:
            lock.acquire()
            lock.release()
        except AlreadyRunning:
            running = True
        newest = next((w.id for w in rows if w.stopped_at is None), None)
        live = {newest} if running and newest is not None else set()
        leader = newest if live else None
    click.echo(f"{'id':>6}  {'host':<24} {'pid':>8}  {'started (UTC)':<19}  {'last seen (UTC)':<19}  state")
    for w in rows:
        if w.id in live:
            state = "leader" if w.id == leader else "alive"
        else:
            state = "stopped" if w.stopped_at else "gone"
        click.echo(f"{w.id:>6}  {w.host[:24]:<24} {w.pid:>8}  {w.started_at:%Y-%m-%d %H:%M:%S}  "
                   f"{w.last_seen_at:%Y-%m-%d %H:%M:%S}  {state}")


def served_base_url(configured: str | None, host: str, port: int, default: str) -> str:
    """Where `flask serve` is reached: PUBLIC_BASE_URL when it is set, else the address it serves on, so that
    the simulator's delivery callbacks and the note links of a `serve --port 5077` reach it."""
    if configured:
        return default
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def serve_command(host, port):
    """The embedded default in one process: the web app and the worker (scheduler and sending) together.

    For a first look and for a small desk on SQLite; with PostgreSQL run gunicorn and `flask worker` apart.
    """
    from werkzeug.serving import run_simple

    from core.accesslog import PathOnlyRequestHandler

    app = current_app._get_current_object()
    app.config["PUBLIC_BASE_URL"] = served_base_url(os.environ.get("PUBLIC_BASE_URL"), host, port,
                                                    app.config["PUBLIC_BASE_URL"])
    stop = threading.Event()
    worker = Worker(app, from_config(app.config))
    thread = threading.Thread(target=worker.run, args=(stop,), name="worker", daemon=True)
    thread.start()
    click.echo(f"worker: gateway {worker.gateway.name}; web: http://{host}:{port}")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False,
                   request_handler=PathOnlyRequestHandler)
    finally:
        stop.set()
        thread.join(timeout=10)

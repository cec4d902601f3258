"""`flask worker`: the process that schedules and sends."""
from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from broadcast.leader import AlreadyRunning
from broadcast.worker import Worker
from sms.gateway import from_config


@click.command("worker")
@with_appcontext
def worker_command():
    """Run the scheduler and send messages until stopped (Ctrl+C or SIGTERM)."""
    app = current_app._get_current_object()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker = Worker(app, from_config(app.config))
    click.echo(f"worker: gateway {worker.gateway.name}, status callbacks to {worker.callback_url}")
    try:
        worker.run(stop)
    except AlreadyRunning as exc:
        raise click.ClickException(str(exc)) from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def serve_command(host, port):
    """The embedded default in one process: the web app and the worker (scheduler and sending) together.

    For a first look and for a small desk on SQLite; with PostgreSQL run gunicorn and `flask worker` apart.
    """
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()
    stop = threading.Event()
    worker = Worker(app, from_config(app.config))
    thread = threading.Thread(target=worker.run, args=(stop,), name="worker", daemon=True)
    thread.start()
    click.echo(f"worker: gateway {worker.gateway.name}; web: http://{host}:{port}")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()
        thread.join(timeout=10)

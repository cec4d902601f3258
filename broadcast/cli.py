"""`flask worker`: the process that schedules and sends."""
from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

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
    worker.run(stop)

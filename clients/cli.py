"""`flask clients import|import-monthly FILE` and `flask tiers review|publish`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from clients import imports, reviews
from clients.parsing import FileError
from core import clock
from core.extensions import db

clients_cli = AppGroup("clients", help="The client book: imports from the settlement system.")
tiers_cli = AppGroup("tiers", help="Quarterly tier reviews.")


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None


def _report(run, limit: int = 50) -> None:
    click.echo(f"created {run.created}, updated {run.updated}, unchanged {run.unchanged}, "
               f"rejected {len(run.rejected)}")
    for row in run.rejected[:limit]:
        click.echo(f"  line {row['line']}: {row['account_no'] or '-'}: {row['reason']}")
    if len(run.rejected) > limit:
        click.echo(f"  ... and {len(run.rejected) - limit} more; see import {run.id} in the web UI")


def _run_import(func, path: str) -> None:
    try:
        run = func(db.session, _read(path), Path(path).name)
    except FileError as exc:
        db.session.rollback()
        raise click.ClickException(f"{path} cannot be imported: {exc}") from None
    db.session.commit()
    _report(run)


@clients_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def import_clients(path):
    """Upsert clients from a CSV or XLSX client export."""
    _run_import(imports.import_clients, path)


@clients_cli.command("import-monthly")
@click.argument("path", type=click.Path(dir_okay=False))
def import_monthly(path):
    """Upsert monthly figures (average equity, commission, month-end equity)."""
    _run_import(imports.import_monthly, path)


@tiers_cli.command("review")
@click.option("--quarter", required=True, help="e.g. 2026Q3")
def review(quarter):
    """Make a draft review of QUARTER for every client."""
    try:
        result = reviews.create_review(db.session, quarter, today=clock.local_today(current_app.config["TIMEZONE"]))
    except reviews.ReviewError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    summary = reviews.review_summary(db.session, result.id)
    click.echo(f"draft review {result.id} of {result.quarter}")
    click.echo("tiers:   " + ", ".join(f"{k} {v}" for k, v in sorted(summary["tiers"].items())))
    click.echo("changes: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["changes"].items())))
    click.echo(f"publish with: flask --app app tiers publish {result.id}")


@tiers_cli.command("publish")
@click.argument("review_id", type=int)
def publish(review_id):
    """Publish a draft review: its tiers become the clients' current tiers."""
    try:
        result = reviews.publish_review(db.session, review_id)
    except reviews.ReviewError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"published review {result.id} of {result.quarter}")

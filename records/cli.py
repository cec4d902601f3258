"""`flask audit verify|export|seal`: the chain of records for the people who answer to the regulator."""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core import audit, clock
from core.extensions import db
from records import chain, export

audit_cli = AppGroup("audit", help="Records a regulator can trust: verify the chain, export a period.")

# exit statuses of `verify`, for monitoring
CHANGED, UNSEALED = 1, 3


@audit_cli.command("verify")
@click.option("--unsealed-after", default=10, show_default=True, type=click.IntRange(min=0),
              help="Report records older than this many minutes that have no seal yet.")
@click.option("--head", "heads", multiple=True, metavar="SEQ:HASH",
              help="A head written down earlier (the last line of an earlier verify, or an export's manifest): "
                   "the chain must still hold it. Repeat for several.")
def verify_command(unsealed_after, heads):
    """Walk the hash chain and name the first record changed or removed, or a seal changed.

    \b
    Exit status 0: intact, and every record older than --unsealed-after minutes
    is sealed; 1: a record or a seal was changed or removed; 3: intact, but
    records are waiting for a seal longer than they should (is a worker
    running?). The last line is the chain's head: write it down somewhere
    else (the inspection export's manifest carries it too), since a chain
    cut off at its end can only be told from a head recorded earlier.
    """
    anchors = {}
    for head in heads:
        seq, _, digest = head.partition(":")
        if not seq.isdigit() or len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise click.BadParameter(f"{head} is not SEQ:HASH (a seal's number and its 64 hex digits)",
                                     param_hint="--head")
        anchors[int(seq)] = digest
    report = chain.verify(db.session, clock.now(), timedelta(minutes=unsealed_after), anchors=anchors)
    if report.findings:
        click.echo(f"BROKEN: the first problem is at {report.findings[0]}")
        for finding in report.findings[1:]:
            click.echo(f"  also: {finding}")
    else:
        click.echo(f"intact: {report.checked} seals checked")
    for kind, ids in report.unsealed.items():
        click.echo(f"unsealed for more than {unsealed_after} minutes: {kind} "
                   f"{', '.join(map(str, ids[:20]))}{' ...' if len(ids) > 20 else ''}")
    click.echo(f"head: seal {report.head_seq} {report.head_hash}  (keep as --head {report.head_seq}:{report.head_hash})")
    if report.findings:
        sys.exit(CHANGED)
    if report.unsealed:
        sys.exit(UNSEALED)


@audit_cli.command("seal")
def seal_command():
    """Seal every record not sealed yet (the workers do this continuously; this is for a catch-up)."""
    made = chain.seal_unqueued(db.session, clock.now())
    head = chain.head(db.session)
    click.echo(f"sealed {made}; head: seal {head.seq if head else 0} {head.hash if head else ''}")


@audit_cli.command("export")
@click.option("--from", "first", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day, in TIMEZONE.")
@click.option("--to", "last", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
@click.option("--out", type=click.Path(dir_okay=False), help="The ZIP to write (default: records-FROM-TO.zip).")
def export_command(first, last, out):
    """Write the messages, approvals and audit entries of a period as CSV in a ZIP, with a manifest."""
    first_day, last_day = first.date(), last.date()
    if last_day < first_day:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    path = Path(out or f"records-{first_day}-{last_day}.zip")
    period = export.Period(first_day, last_day, current_app.config["TIMEZONE"])
    now = clock.now()
    try:
        manifest = export.write(db.session, path, period, now)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
    db.session.rollback()
    audit.record(db.session, "records.export", actor_label="cli", obj_type="period",
                 obj_id=f"{first_day}/{last_day}",
                 detail={"files": {f["name"]: f["sha256"] for f in manifest["files"]}, "head": manifest["chain"]["head"]})
    db.session.commit()
    for f in manifest["files"]:
        click.echo(f"{f['name']}: {f['rows']} rows, sha256 {f['sha256']}")
    if not manifest["chain"]["intact"]:
        click.echo("the chain is BROKEN: see manifest.json and run `flask audit verify`")
    click.echo(f"written {path}")


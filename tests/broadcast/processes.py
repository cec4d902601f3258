"""Real worker processes for the fault tests: `python -m flask --app app worker` against the test's own
database, sending through the twilio SDK to the emulator over HTTP. Every process is killed at the end."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from broadcast import scheduling, service
from broadcast.models import Broadcast
from broadcast.settings import Settings
from clients.appropriateness import InvestorType, RiskTolerance
from clients.models import Client
from clients.tiers import Tier
from core import clock as app_clock
from core.calendar import calendar_for
from core.clock import SettableClock
from core.extensions import db
from messaging.leader import current_leader, live_workers
from messaging.models import WorkerProcess
from tests.broadcast.conftest import SID, TOKEN

ROOT = Path(__file__).resolve().parents[2]


class Workers:
    """Starts worker processes with the given settings (environment variables) and stops them all."""

    def __init__(self, app, emulator, log_dir: Path, **settings):
        self.app = app
        self.log_dir = log_dir
        self.env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
        self.env.update({
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": app.config["SECRET_KEY"],
            "QUIET_HOURS": "", "SMS_GATEWAY": "twilio", "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_FROM": "+15005550006", "TWILIO_API_BASE": emulator.base_url,
            "PUBLIC_BASE_URL": "http://127.0.0.1:9", "PYTHONUNBUFFERED": "1",
        })
        self.env.update({k: str(v) for k, v in settings.items()})
        self.env["TESTING"] = "1"
        if isinstance(app.extensions["clock"], SettableClock):  # the workers run on the test's time
            self.env["FAKE_NOW"] = app.extensions["clock"].now().isoformat()
        self.procs: list[subprocess.Popen] = []

    def start(self, count: int = 1) -> list[subprocess.Popen]:
        started = []
        for _ in range(count):
            log = open(self.log_dir / f"worker-{len(self.procs) + 1}.log", "wb")
            proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=ROOT,
                                    env=self.env, stdout=log, stderr=subprocess.STDOUT)
            log.close()
            self.procs.append(proc)
            started.append(proc)
        return started

    def kill(self, proc: subprocess.Popen) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def logs(self, tail: int = 40) -> str:
        parts = []
        for path in sorted(self.log_dir.glob("worker-*.log")):
            lines = path.read_text(errors="replace").splitlines()[-tail:]
            parts.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(parts)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("worker-*.log")))

    # ---- what the database says about them ------------------------------------------------------------------

    def live(self) -> set[int]:
        with db.engine.connect() as conn:
            return live_workers(conn)

    def leader_process(self) -> subprocess.Popen | None:
        with db.engine.connect() as conn:
            leader = current_leader(conn)
            pid = conn.execute(sa.select(WorkerProcess.pid).where(WorkerProcess.id == leader)).scalar() \
                if leader is not None else None
        return next((p for p in self.procs if p.pid == pid), None)

    def wait_for(self, predicate, timeout: float, what: str, step: float = 0.1):
        """Poll `predicate` until it returns something true; fail naming `what`, with the workers' logs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(step)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{self.logs()}")

    def wait_live(self, count: int, timeout: float = 30) -> None:
        """Until `count` workers are alive and one of them leads."""
        self.wait_for(lambda: len(self.live()) == count and self.leader_process() is not None, timeout,
                      f"{count} live workers and a leader")


def add_gold_clients(count: int) -> None:
    """`count` gold clients with numbers +86139xxxxxxxx, in one statement."""
    now = app_clock.now()
    rows = [{"account_no": f"8{i:07d}", "name": f"客户{i}", "mobile": f"+86139{i:08d}", "branch": "上海浦东营业部",
             "opened_on": date(2020, 1, 1), "tier": Tier.gold, "created_at": now, "updated_at": now,
             "investor_type": InvestorType.ordinary, "risk_tolerance": RiskTolerance.C5,
             "risk_assessed_on": now.date() - timedelta(days=30)}
            for i in range(1, count + 1)]
    db.session.execute(sa.insert(Client), rows)
    db.session.commit()


def approved_broadcast(app, make_staff, count: int):
    """An approved daily comment to `count` new gold clients; returns (broadcast, chief)."""
    add_gold_clients(count)
    settings = Settings.from_config(app.config)
    chief, approver = make_staff("chief_analyst"), make_staff("approver")
    b = service.create_draft(db.session, {"kind": "daily_comment", "title": "早评", "body": "{name}您好，今日早评：螺纹钢震荡。",
                                          "audience": {"tiers": ["gold"]}}, chief, settings)
    service.submit(db.session, b, chief, settings)
    service.approve(db.session, b, approver)
    db.session.commit()
    return b, chief


def schedule(app, b, chief, send_at=None) -> None:
    scheduling.schedule(db.session, b, chief, send_at, Settings.from_config(app.config), app_clock.now(), calendar_for({"QUIET_HOURS": ""}))
    db.session.commit()


def broadcast_row(broadcast_id: int):
    db.session.rollback()  # a fresh look, not the session's cached objects
    return db.session.execute(sa.select(Broadcast.state, Broadcast.send_at, Broadcast.started_at)
                              .where(Broadcast.id == broadcast_id)).one()


def sends_per_number(emulator) -> Counter:
    return Counter(m["to"] for m in emulator.messages)

"""Cloning any broadcast into a new draft, deleting a draft that never went to approval."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from broadcast import drafts, service, versions
from broadcast.errors import BroadcastError
from broadcast.models import Broadcast, BroadcastState
from broadcast.settings import Settings
from core.audit import AuditEntry
from core.extensions import db
from tests.broadcast.helpers import start_now

SUGGESTION = {"kind": "trade_suggestion", "title": "螺纹钢建议", "language": "zh",
              "body": "{name}您好：{contract}建议{direction}，入场{entry}，止损{stop}，目标{target}。",
              "note_markdown": "## 理由", "audience": {"tiers": ["gold"], "branches": ["上海"], "exclude": ["3"]},
              "suggestion": {"contract": "rb2605", "direction": "long", "entry": "3150", "stop": "3098",
                             "targets": ["3260", "3320"], "position_pct": "20", "valid_until": "2026-11-27T15:00",
                             "risk_statement": "期货交易有风险，入市需谨慎。"}}


def audited(action: str, broadcast_id: int) -> list[AuditEntry]:
    return [e for e in audit_of(broadcast_id) if e.action == action]


def audit_of(broadcast_id: int) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "broadcast",
                                                               AuditEntry.object_id == str(broadcast_id))
                                   .order_by(AuditEntry.id)))


@pytest.fixture
def chief(make_staff):
    return make_staff("chief_analyst", email="chief@example.com")


def test_a_sent_broadcast_is_cloned_into_a_draft_of_the_cloners(app, approved, clock, worker, make_staff):
    start_now(app, approved, clock, worker)
    worker.send_batch()
    researcher = make_staff("researcher", email="r@example.com")
    source = db.session.get(Broadcast, approved.id)
    copy = drafts.clone(db.session, source, researcher, seen_version=source.version)
    db.session.commit()
    assert (copy.state, copy.author_id, copy.title, copy.body, copy.note_markdown, copy.audience) == (
        BroadcastState.draft, researcher.id, source.title, source.body, source.note_markdown, source.audience)
    assert (copy.risk_level, copy.kind, copy.language) == (source.risk_level, source.kind, source.language)
    assert copy.submitted_at is copy.decided_by_id is copy.send_at is copy.started_at is None
    assert source.state == BroadcastState.sending  # the source is left as it was
    entry, = audited("broadcast.clone", copy.id)
    assert entry.actor_id == researcher.id and entry.detail["source"] == source.id


def test_a_clone_copies_the_suggestion_fields(app, chief):
    settings = Settings.from_config(app.config)
    source = service.create_draft(db.session, dict(SUGGESTION), chief, settings)
    copy = drafts.clone(db.session, source, chief)
    for name in drafts.CLONED:
        assert getattr(copy, name) == getattr(source, name), name
    copy.targets.append("3400")
    assert source.targets == ["3260", "3320"]  # its own list, not the source's


def test_a_clone_is_of_the_version_seen(app, chief):
    source = service.create_draft(db.session, dict(SUGGESTION), chief, Settings.from_config(app.config))
    with pytest.raises(versions.StaleVersion):
        drafts.clone(db.session, source, chief, seen_version=source.version + 1)


def test_a_draft_never_submitted_is_deleted_and_audited(app, chief):
    b = service.create_draft(db.session, dict(SUGGESTION), chief, Settings.from_config(app.config))
    db.session.commit()
    broadcast_id = b.id
    drafts.delete_draft(db.session, b, chief, seen_version=b.version)
    db.session.commit()
    assert db.session.get(Broadcast, broadcast_id) is None
    entry, = audited("broadcast.delete", broadcast_id)
    assert entry.actor_id == chief.id and entry.detail["title"] == "螺纹钢建议"
    # the next broadcast never takes the deleted draft's id, nor so its audit history (SQLite gave the highest
    # id again before migration 0016)
    after = service.create_draft(db.session, dict(SUGGESTION), chief, Settings.from_config(app.config))
    db.session.commit()
    assert after.id > broadcast_id
    assert [e.action for e in audit_of(after.id)] == ["broadcast.create"]


@pytest.mark.parametrize("history", ["submitted", "rejected", "edited back to draft"])
def test_anything_ever_submitted_stays_on_record(app, chief, make_staff, history):
    settings = Settings.from_config(app.config)
    b = service.create_draft(db.session, dict(SUGGESTION, kind="daily_comment", body="{name}您好，今日平稳。"),
                             chief, settings)
    service.submit(db.session, b, chief, settings)
    if history == "rejected":
        service.reject(db.session, b, make_staff("approver"), "改")
    if history == "edited back to draft":
        service.update_draft(db.session, b, {"title": "改过"}, chief, settings)
        assert b.state == BroadcastState.draft and b.submitted_at is None
    db.session.commit()
    assert not drafts.may_delete(db.session, b)
    with pytest.raises(BroadcastError) as info:
        drafts.delete_draft(db.session, b, chief)
    assert info.value.code == "broadcast.on_record" and info.value.status == 409
    db.session.rollback()
    assert db.session.get(Broadcast, b.id) is not None


def test_deleting_a_draft_changed_since_it_was_seen_is_refused(app, chief):
    settings = Settings.from_config(app.config)
    b = service.create_draft(db.session, dict(SUGGESTION), chief, settings)
    db.session.commit()
    seen = b.version
    service.update_draft(db.session, b, {"title": "改过"}, chief, settings)
    db.session.commit()
    with pytest.raises(versions.StaleVersion):
        drafts.delete_draft(db.session, b, chief, seen_version=seen)
    # a change that lands between the read and the delete: the conditional DELETE finds no row
    db.session.execute(sa.update(Broadcast).where(Broadcast.id == b.id).values(version=Broadcast.version + 1)
                       .execution_options(synchronize_session=False))
    with pytest.raises(versions.StaleVersion):
        drafts.delete_draft(db.session, b, chief)


def test_clone_and_delete_through_the_page(app, client, auth, chief, make_staff, clock):
    settings = Settings.from_config(app.config)
    b = service.create_draft(db.session, dict(SUGGESTION), chief, settings)
    db.session.commit()
    auth.login("chief@example.com")
    html = client.get(f"/broadcasts/{b.id}").get_data(as_text=True)
    assert f'action="/broadcasts/{b.id}/delete"' in html and "data-confirm=" in html
    cloned = auth.post(f"/broadcasts/{b.id}/clone", {"version": str(b.version)})
    assert cloned.status_code == 302 and cloned.headers["Location"].endswith("/edit")
    copy_id = int(re.search(r"/broadcasts/(\d+)/edit", cloned.headers["Location"]).group(1))
    assert copy_id != b.id and db.session.get(Broadcast, copy_id).title == b.title

    broadcast_id = b.id
    gone = auth.post(f"/broadcasts/{broadcast_id}/delete", {"version": str(b.version)})
    assert gone.status_code == 302 and gone.headers["Location"].endswith("/broadcasts")
    db.session.expire_all()
    assert db.session.get(Broadcast, broadcast_id) is None

    service.submit(db.session, db.session.get(Broadcast, copy_id), chief, settings)
    db.session.commit()
    html = client.get(f"/broadcasts/{copy_id}").get_data(as_text=True)
    assert f'action="/broadcasts/{copy_id}/delete"' not in html  # submitted: no delete offered
    refused = auth.post(f"/broadcasts/{copy_id}/delete", {"version": "2"})
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/broadcasts/{copy_id}")
    db.session.expire_all()
    assert db.session.get(Broadcast, copy_id) is not None


def test_a_researcher_cannot_delete_someone_elses_draft(app, client, auth, chief, make_staff):
    b = service.create_draft(db.session, dict(SUGGESTION), chief, Settings.from_config(app.config))
    db.session.commit()
    make_staff("researcher", email="r@example.com")
    auth.login("r@example.com")
    assert auth.post(f"/broadcasts/{b.id}/delete", {"version": str(b.version)}).status_code == 403
    assert db.session.get(Broadcast, b.id) is not None

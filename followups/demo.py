"""What `flask demo seed` adds for follow-ups: canned answers of each queue, so that a researcher's reply box
offers research answers and a business staff member's account answers. Registered with the demo seed (which
lives in the client book, below this layer) by followups/views.py."""
from __future__ import annotations

import sqlalchemy as sa

from followups.models import CannedAnswer, Queue

# (title, text, queue or None for every queue); the account answers of migration 0008 are scoped to business
DEMO_ANSWERS: tuple[tuple[str, str, Queue | None], ...] = (
    ("止损怎么看", "您好，建议中的止损价是离场的价格：行情触及该价位时请及时平仓，控制亏损。止损是风险控制的底线，"
     "请勿随意下移；仓位请勿满仓。", Queue.research),
    ("研报在哪里看", "您好，短信中的链接即为本次研究报告，点击即可阅读（有效期内可多次打开）。链接失效请回复"
     "“报告”，我们重新发送。", Queue.research),
    ("建议不构成收益承诺", "您好，研究建议仅供参考，不构成收益承诺；期货交易风险较大，请结合自身风险承受能力"
     "决策，设置止损，切勿满仓。", Queue.research),
    ("开户与适当性", "您好，开户或更新风险测评请携带身份证到营业部办理，也可在公司官网在线办理；测评结果有效期"
     "三年，到期请及时更新。", Queue.business),
    ("已收到，稍后回复", "您好，您的问题已收到，我们会尽快回复您。", None),
)


def seed_canned(session) -> int:
    """Add the demo's canned answers that are not there yet (by title); returns how many were added."""
    titles = set(session.scalars(sa.select(CannedAnswer.title)))
    position = session.scalar(sa.select(sa.func.max(CannedAnswer.position))) or 0
    added = 0
    for title, body, queue in DEMO_ANSWERS:
        if title in titles:
            continue
        position += 1
        session.add(CannedAnswer(title=title, body=body, queue=queue, position=position, active=True))
        added += 1
    session.flush()
    return added


def init_app(app) -> None:
    """Register with `flask demo seed` (clients/demo.py runs every function in app.extensions["demo_seeders"])."""
    app.extensions.setdefault("demo_seeders", []).append(seed_canned)

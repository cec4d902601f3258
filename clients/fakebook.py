"""Made-up clients, for `flask demo seed` and the benchmarks: one generator, so that the demo's book and the
benchmarks' client export look alike. Plain functions, no Flask; the same seed gives the same book."""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from clients.appropriateness import InvestorType, RiskTolerance

BRANCHES = ("上海浦东营业部", "上海徐汇营业部", "北京朝阳营业部", "深圳福田营业部", "杭州西湖营业部", "广州天河营业部")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
# prefixes libphonenumber accepts as Chinese mobile numbers (China Mobile, Unicom, Telecom)
MOBILE_PREFIXES = ("138", "139", "137", "136", "135", "150", "151", "152", "158", "159", "182", "187", "188",
                   "130", "131", "132", "155", "156", "185", "186", "133", "153", "180", "181", "189", "177")
SEED = 20260930


@dataclass(frozen=True)
class FakeClient:
    """A client as the settlement system's export lists one (the mobile without +86; staff_code "" when the
    client has no account manager), with its investor type and risk assessment."""

    account_no: str
    name: str
    mobile: str
    branch: str
    staff_code: str
    opened_on: date
    last_trade_on: date | None
    last_position_on: date | None
    investor_type: InvestorType = InvestorType.ordinary
    risk_tolerance: RiskTolerance | None = None
    risk_assessed_on: date | None = None


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def mobile(i: int, shift: int = 0) -> str:
    """Client i's mobile number, never another client's (`shift` > 0: a new number for client i, still unique)."""
    prefix = MOBILE_PREFIXES[(i + shift) % len(MOBILE_PREFIXES)]
    suffix = ((i + shift * 50_000_000) * 48_271 + 12_345_678) % 10**8  # 48,271 is coprime with 10**8
    return f"{prefix}{suffix:08d}"


# investor appropriateness of the generated book: 8% professional; ordinary ones C2 to C5, so that every
# client may receive a commentary (R2) and the benchmarks' audiences are the whole book
PROFESSIONAL_SHARE = 0.08
TOLERANCE_WEIGHTS = ((RiskTolerance.C2, 15), (RiskTolerance.C3, 35), (RiskTolerance.C4, 30), (RiskTolerance.C5, 20))


def clients(count: int, *, seed: int = SEED, today: date = date(2026, 9, 30), branches: Sequence[str] = BRANCHES,
            staff_codes: Sequence[str] = (), assessed_before: date | None = None) -> list[FakeClient]:
    """`count` clients with ascending 8-digit accounts, opened since 2008: 55% traded within the last 60 days,
    35% last traded some time since opening, 10% never traded; 85% with one of `staff_codes`, when given.
    Each has a risk assessment taken in the two years before `assessed_before` (default `today`)."""
    rng = random.Random(seed)
    assessments = random.Random(seed + 1)  # its own sequence, so that the rest of the book stays as it was
    assessed_before = assessed_before or today
    first_open = date(2008, 1, 1).toordinal()
    out = []
    for i in range(count):
        account = str(81_000_000 + i * 7 + rng.randrange(7))
        client_name = name(rng)
        branch = rng.choice(branches)
        code = rng.choice(staff_codes) if rng.random() < 0.85 and staff_codes else ""
        opened = date.fromordinal(rng.randrange(first_open, today.toordinal() - 30))
        roll = rng.random()
        if roll < 0.55:
            last_trade = max(opened, today - timedelta(days=rng.randrange(0, 60)))
        elif roll < 0.90:
            last_trade = date.fromordinal(rng.randrange(opened.toordinal(), today.toordinal()))
        else:
            last_trade = None
        last_position = (last_trade - timedelta(days=rng.randrange(0, 5))
                         if last_trade and rng.random() < 0.7 else None)
        professional = assessments.random() < PROFESSIONAL_SHARE
        tolerance = assessments.choices([t for t, _ in TOLERANCE_WEIGHTS], [w for _, w in TOLERANCE_WEIGHTS])[0]
        assessed_on = assessed_before - timedelta(days=assessments.randrange(1, 730))
        out.append(FakeClient(account, client_name, mobile(i), branch, code, opened, last_trade,
                              max(last_position, opened) if last_position else None,
                              InvestorType.professional if professional else InvestorType.ordinary,
                              RiskTolerance.C5 if professional else tolerance, assessed_on))
    return out

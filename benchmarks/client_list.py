"""client_list: the client list page (/clients) with filters, searches and paging over 100,000 clients in under
0.5 s (median per page), on SQLite and on PostgreSQL.

One database gets an admin, the account managers and the generated book with the tier spread. The admin and
business staff member S001 (about 1/8 of the book) sign in through the login page, and each case is a GET of
/clients through the whole stack. Every answer must show a client row, the expected account where one is
known, and only the asked-for tiers under a tier filter.
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

from benchmarks import harness

NAME = "client_list"
TARGET_S = 0.5
PER_PAGE = 50
OWN = "S001"  # the business staff member who signs in
CLIENT_ROW = re.compile(r'<a href="/clients/(\d+)">')
TIER_CELL = re.compile(r'<span class="tier tier-([a-z]+)">')


def _probe(clients) -> tuple[object, bool]:
    """A client two thirds in, and whether the search for its mobile's last 4 digits must show it on the first
    page: true when fewer than a page of `clients` match those digits (as mobile or account digits)."""
    start = len(clients) * 2 // 3
    for c in clients[start:start + 20]:
        digits = c.mobile[-4:]
        if sum(1 for o in clients if digits in o.account_no or digits in "+86" + o.mobile) < PER_PAGE:
            return c, True
    return clients[start], False


def cases(clients) -> list[tuple[str, str, dict, str | None]]:
    """(label, who, query, the account that must be on the page or None)."""
    own = [c for c in clients if c.staff_code == OWN]
    probe, probe_first = _probe(clients)
    own_probe, own_first = _probe(own)
    deep = max(1, min(1000, len(clients) // PER_PAGE))
    return [
        ("admin: first page, no filter", "admin", {}, clients[0].account_no),
        (f"admin: page {deep}", "admin", {"page": deep}, None),
        ("admin: tier=vip", "admin", {"tier": "vip"}, None),
        (f"admin: tier=gold, branch={probe.branch}", "admin", {"tier": "gold", "branch": probe.branch}, None),
        (f"admin: staff_code={OWN}", "admin", {"staff_code": OWN}, own[0].account_no),
        ("admin: q=王 (surname)", "admin", {"q": "王"}, None),
        (f"admin: q={probe.mobile[-4:]} (mobile, last 4)", "admin", {"q": probe.mobile[-4:]},
         probe.account_no if probe_first else None),
        (f"admin: q={probe.account_no} (account)", "admin", {"q": probe.account_no}, probe.account_no),
        (f"staff {OWN}: first page", OWN, {}, own[0].account_no),
        (f"staff {OWN}: q={own_probe.mobile[-4:]} (mobile, last 4)", OWN, {"q": own_probe.mobile[-4:]},
         own_probe.account_no if own_first else None),
    ]


def table(backend: str, postgres_url: str | None = None, quick: bool = False, progress=print) -> list[harness.Row]:
    """One row per case: the median and fastest of 15 requests, in ms, against 500 ms. `quick`: 2,000 clients,
    3 requests."""
    rows, repeats = (2_000, 3) if quick else (100_000, 15)
    out = []
    with harness.fresh_app(backend, postgres_url) as app:
        _, clients = harness.build(app, rows, ["admin"])
        signed_in = {"admin": harness.sign_in(app, "admin"), OWN: harness.sign_in(app, OWN)}
        for label, who, query, expect in cases(clients):
            url = "/clients" + (f"?{urlencode(query)}" if query else "")
            tiers = {"diamond", "platinum", "gold"} if query.get("tier") == "vip" else {query.get("tier")}

            def check(html, url=url, expect=expect, tiers=tiers, tiered="tier" in query):
                if not CLIENT_ROW.search(html):
                    raise AssertionError(f"GET {url}: the page shows no client row")
                if expect and f'<a href="/clients/{expect}">' not in html:
                    raise AssertionError(f"GET {url}: account {expect} is not on the page")
                if tiered and not set(TIER_CELL.findall(html)) <= tiers:
                    raise AssertionError(f"GET {url}: tiers {sorted(set(TIER_CELL.findall(html)) - tiers)} shown")

            times = harness.time_page(signed_in[who], url, check, repeats)
            out.append(harness.timing(NAME, f"{rows:,} clients, {label}", backend, times, TARGET_S, unit="ms"))
            progress(f"{label}: median {out[-1].median:.0f} ms  ({url})")
    return out

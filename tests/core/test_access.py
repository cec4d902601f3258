"""Every endpoint checks the role. The table below is the intended access; a new endpoint must join it."""
from __future__ import annotations

import pytest

from clients.tiers import Tier
from core.roles import Role

ALL = {r.value for r in Role}
BOOK = {"admin", "chief_analyst", "approver", "business_staff"}

# endpoint -> (method, path, roles allowed); "anyone" pages are open to everyone signed in or not
MATRIX = {
    "core.home": ("GET", "/", ALL),
    "core.audit_log": ("GET", "/audit", {"admin", "approver"}),
    "clients.client_list": ("GET", "/clients", BOOK),
    "clients.client_detail": ("GET", "/clients/83001", BOOK),
    "clients.import_page": ("GET", "/imports", {"admin"}),
    "clients.import_result": ("GET", "/imports/{run}", {"admin"}),
    "clients.review_list": ("GET", "/tier-reviews", {"admin", "approver", "chief_analyst"}),
    "clients.review_detail": ("GET", "/tier-reviews/{review}", {"admin", "approver", "chief_analyst"}),
    "clients.review_publish": ("POST", "/tier-reviews/{review}/publish", {"admin", "approver"}),
    "clients_api.list_clients": ("GET", "/api/v1/clients", BOOK),
    "clients_api.get_client": ("GET", "/api/v1/clients/83001", BOOK),
    "clients_api.import_clients": ("POST", "/api/v1/clients/import", {"admin"}),
    "clients_api.import_monthly": ("POST", "/api/v1/clients/import-monthly", {"admin"}),
    "clients_api.create_review": ("POST", "/api/v1/tier-reviews", {"admin", "approver"}),
    "clients_api.get_review": ("GET", "/api/v1/tier-reviews/{review}", {"admin", "approver", "chief_analyst"}),
    "clients_api.publish_review": ("POST", "/api/v1/tier-reviews/{review}/publish", {"admin", "approver"}),
}
PUBLIC = {"static", "staff.login", "staff.logout", "staff.set_language"}


def test_every_endpoint_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - PUBLIC == set(MATRIX), "add new endpoints to MATRIX with their intended roles"


@pytest.fixture
def world(app, make_staff, make_client):
    from clients.models import ImportRun, ImportKind
    from clients.reviews import create_review
    from core.extensions import db

    people = {role.value: make_staff(role.value, email=f"{role.value}@example.com") for role in Role}
    make_client("83001", owner_id=people["business_staff"].id, tier=Tier.gold)
    run = ImportRun(kind=ImportKind.clients, filename="x.csv", rejected=[])
    db.session.add(run)
    review = create_review(db.session, "2026Q3")
    db.session.commit()
    return people, {"run": run.id, "review": review.id}


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
@pytest.mark.parametrize("role", sorted(ALL) + [None])
def test_access(client, auth, api_token, world, endpoint, role):
    people, ids = world
    method, path, allowed = MATRIX[endpoint]
    path = path.format(**ids)
    is_api = path.startswith("/api/")
    headers, data = {}, None
    if role is not None:
        if is_api:
            headers = api_token(people[role])
        else:
            auth.login(f"{role}@example.com")
    if method == "POST":
        if is_api:
            response = client.post(path, headers=headers, json={"quarter": "2026Q3"})
        else:
            response = auth.post(path) if role else client.post(path, data=data)
    else:
        response = client.get(path, headers=headers)

    if role is None:
        if is_api:
            assert response.status_code == 401
        else:
            assert response.status_code in (302, 400) and (response.status_code == 400
                                                            or "/login" in response.headers["Location"])
    elif role in allowed:
        assert response.status_code in (200, 201, 302, 400), response.status_code
    else:
        assert response.status_code == 403, f"{role} reached {endpoint}: {response.status_code}"

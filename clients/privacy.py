"""Who may see what of the client book: the whole book, one client, one mobile number. Pure: no Flask, no
database; every page, endpoint and export asks here, so that a new role is one line in core/roles.py.

- The whole book (names, accounts, tiers, owners): `clients.view_all` (admins, the chief analyst, compliance).
  Everyone else who drafts or reads broadcasts (researchers) sees previews for a made-up client and counts.
- One client: the whole book, or business staff for the clients they own.
- A mobile number unmasked (`177****4397` otherwise): the client's owner, and `clients.mobile` (admins; risk
  officers once that role exists). Anyone who may see the client may reveal one number, which is audited.
"""
from __future__ import annotations

from core.phones import mask_account, mask_mobile
from core.roles import can


def may_see_book(user) -> bool:
    """Whether `user` may see every client: names, accounts, tiers and owners."""
    return can(user, "clients.view_all")


def _owns(user, client) -> bool:
    owner_id = getattr(client, "owner_id", None)
    return owner_id is not None and owner_id == getattr(user, "id", None) and can(user, "clients.view_own")


def may_see_client(user, client) -> bool:
    """Whether `user` may see this client at all (its page, its account number, its tier)."""
    return client is not None and (may_see_book(user) or _owns(user, client))


def may_see_mobile(user, client) -> bool:
    """Whether `user` sees the mobile number of `client` (None: a sender who is no client) unmasked."""
    return can(user, "clients.mobile") or (client is not None and _owns(user, client))


def may_reveal_mobile(user, client) -> bool:
    """Whether `user` may ask to see one masked number (the "show" action, audited): whoever may see the
    client; for a sender who is no client, whoever may see the book. Researchers never: they answer by SMS
    through the outbox, which needs the question and the name, not the number."""
    return may_see_client(user, client) if client is not None else may_see_book(user)


def mobile_for(user, client, number: str | None = None) -> str | None:
    """The number as `user` may see it: `number` (the client's mobile by default) whole or masked."""
    if number is None and client is not None:
        number = client.mobile
    return number if may_see_mobile(user, client) else mask_mobile(number)


def account_for(user, client) -> str | None:
    """The client's account number as `user` may see it: whole or masked."""
    return client.account_no if may_see_client(user, client) else mask_account(client.account_no)

from __future__ import annotations

from auth.component import build_auth
from auth.settings import AuthSettings

PARAMS = {"client_id": "app", "redirect_uri": "https://a/cb", "scope": "patient/*.rs", "state": "s"}


def test_a_ticket_is_bound_to_its_request_and_expires() -> None:
    auth = build_auth(AuthSettings(database_url="memory://", login_seconds=600))
    ticket = auth.tickets.issue("u-1", PARAMS)
    assert auth.tickets.verify(ticket, PARAMS) == "u-1"
    assert auth.tickets.verify(ticket, {**PARAMS, "scope": "patient/*.cruds"}) is None
    assert auth.tickets.verify(ticket, {**PARAMS, "redirect_uri": "https://evil/cb"}) is None
    assert auth.tickets.verify(ticket[:-4] + "AAAA", PARAMS) is None
    assert auth.tickets.verify("garbage", PARAMS) is None
    expired = build_auth(AuthSettings(database_url="memory://", login_seconds=-1), store=auth.store)
    assert expired.tickets.verify(expired.tickets.issue("u-1", PARAMS), PARAMS) is None


def test_an_access_token_is_not_a_ticket() -> None:
    from auth.models import Client, ClientKind

    auth = build_auth(AuthSettings(database_url="memory://"))
    client = Client("app", ClientKind.PUBLIC, "App", "none", "patient/*.rs")
    access = auth.issuer.access_token(client, None, "patient/*.rs", None, 1_800_000_000)
    assert auth.tickets.verify(access, PARAMS) is None

from __future__ import annotations

import pytest

from auth.admin import RegistrationError, create_client, create_user
from auth.models import ClientKind, Role
from auth.store.base import AuthStore
from auth.store.factory import open_auth_store

JWKS = {"keys": [{"kty": "EC", "crv": "P-384", "x": "x", "y": "y", "kid": "k"}]}


@pytest.fixture
def store() -> AuthStore:
    return open_auth_store("memory://")


def test_clients_by_kind(store: AuthStore) -> None:
    backend, secret = create_client(
        store,
        kind=ClientKind.BACKEND,
        name="EMR",
        scope="system/Immunization.c",
        jwks=JWKS,
        organization="o-1",
    )
    assert backend.auth_method == "private_key_jwt" and secret is None
    assert backend.check_grant_type("client_credentials")
    assert not backend.check_grant_type("authorization_code")
    assert not backend.check_response_type("code")

    public, secret = create_client(
        store, kind=ClientKind.PUBLIC, name="App", scope="patient/*.rs", redirect_uris=("https://a/cb",)
    )
    assert public.auth_method == "none" and secret is None
    assert public.check_redirect_uri("https://a/cb")
    assert not public.check_redirect_uri("https://a/cb/")  # exact match only
    assert not public.check_redirect_uri("https://a/cb?x=1")
    assert public.get_default_redirect_uri() is None
    assert public.get_allowed_scope("patient/Immunization.r user/*.rs openid") == "patient/Immunization.r"
    assert not public.check_grant_type("client_credentials")

    confidential, secret = create_client(
        store,
        kind=ClientKind.CONFIDENTIAL,
        name="Station",
        scope="user/*.rs",
        redirect_uris=("https://s/cb",),
    )
    assert secret and confidential.check_client_secret(secret)
    assert not confidential.check_client_secret(secret + "x")
    assert confidential.check_endpoint_auth_method("client_secret_basic", "token")
    assert not confidential.check_endpoint_auth_method("none", "token")
    assert store.client(confidential.client_id) == confidential


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": ClientKind.BACKEND, "scope": "patient/*.rs", "jwks": JWKS}, "system/ scopes only"),
        ({"kind": ClientKind.BACKEND, "scope": "system/*.rs"}, "public keys"),
        (
            {"kind": ClientKind.BACKEND, "scope": "system/*.rs", "jwks": JWKS, "organization": "a b"},
            "FHIR id",
        ),
        ({"kind": ClientKind.PUBLIC, "scope": "system/*.rs", "redirect_uris": ("https://a",)}, "backend"),
        ({"kind": ClientKind.PUBLIC, "scope": "patient/*.rs"}, "redirect URI"),
    ],
)
def test_client_registration_refusals(store: AuthStore, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(RegistrationError, match=message):
        create_client(store, name="x", **kwargs)  # type: ignore[arg-type]


def test_duplicate_client_id(store: AuthStore) -> None:
    create_client(
        store, kind=ClientKind.PUBLIC, name="a", scope="", client_id="c", redirect_uris=("https://a",)
    )
    with pytest.raises(RegistrationError, match="exists"):
        create_client(
            store, kind=ClientKind.PUBLIC, name="a", scope="", client_id="c", redirect_uris=("https://a",)
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": Role.PARENT, "password": "short"}, "at least 10"),
        ({"role": Role.PARENT}, "at least one child"),
        ({"role": Role.HEALTH_WORKER}, "organization"),
        ({"role": Role.MANAGER}, "area"),
        ({"role": Role.PARENT, "patients": ("not an id!",)}, "FHIR ids"),
        ({"role": Role.AUDITOR, "fhir_user": "Organization/x"}, "fhirUser"),
    ],
)
def test_user_registration_refusals(store: AuthStore, kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"username": "u", "password": "long enough pw", **kwargs}
    with pytest.raises(RegistrationError, match=message):
        create_user(store, **arguments)  # type: ignore[arg-type]


def test_users_round_trip(store: AuthStore) -> None:
    user = create_user(
        store,
        username="hoa",
        password="long enough pw",
        role=Role.MANAGER,
        area="79",
        fhir_user="Practitioner/p1",
    )
    assert store.user(user.user_id) == user
    assert store.user_by_name("hoa") == user
    with pytest.raises(RegistrationError, match="exists"):
        create_user(store, username="hoa", password="long enough pw", role=Role.AUDITOR)

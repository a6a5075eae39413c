from __future__ import annotations

from pathlib import Path

import pytest

from auth.models import AuthCode, RefreshToken
from auth.store.base import AuthStore, CodeReuse
from auth.store.factory import open_auth_store


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> AuthStore:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/sub/auth.sqlite3"
    return open_auth_store(url)


def _code(code_hash: str = "h1", expires_at: int = 1060) -> AuthCode:
    return AuthCode(
        code_hash, "app", "u-1", "http://127.0.0.1/cb", "patient/*.rs", "c" * 43, "S256", expires_at
    )


def test_a_code_is_consumed_once(store: AuthStore) -> None:
    store.add_code(_code())
    assert store.consume_code("h1", now=1000) == _code()
    with pytest.raises(CodeReuse) as reuse:
        store.consume_code("h1", now=1001)
    assert reuse.value.family == "h1"
    assert store.consume_code("unknown", now=1000) is None


def test_an_expired_code_is_refused(store: AuthStore) -> None:
    store.add_code(_code(expires_at=1060))
    assert store.consume_code("h1", now=1060) is None


def test_refresh_tokens_are_used_once_and_revoked_by_family(store: AuthStore) -> None:
    first = RefreshToken("r1", "fam", "app", "u-1", "patient/*.rs", 5000)
    second = RefreshToken("r2", "fam", "app", "u-1", "patient/*.rs", 5000)
    store.add_refresh(first)
    store.add_refresh(second)
    assert store.use_refresh("r1")
    assert not store.use_refresh("r1")
    found = store.refresh("r1")
    assert found is not None and found.used and not found.revoked
    store.revoke_family("fam")
    again = store.refresh("r2")
    assert again is not None and again.revoked
    late = RefreshToken("r3", "fam", "app", "u-1", "patient/*.rs", 5000)
    store.add_refresh(late)  # issued after the revocation (a race): still revoked
    revoked_late = store.refresh("r3")
    assert revoked_late is not None and revoked_late.revoked


def test_jti_is_remembered_until_it_expires(store: AuthStore) -> None:
    assert store.remember_jti("emr:j1", expires_at=2000, now=1000)
    assert not store.remember_jti("emr:j1", expires_at=2000, now=1500)
    assert store.remember_jti("emr:j1", expires_at=3000, now=2001)  # long expired: no longer a replay


def test_access_revocation_and_purge(store: AuthStore) -> None:
    store.revoke_access("jti-1", expires_at=2000)
    assert store.access_revoked("jti-1")
    store.purge(now=2001)
    assert not store.access_revoked("jti-1")


def test_unknown_url_scheme() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        open_auth_store("postgres://x")

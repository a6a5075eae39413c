from __future__ import annotations

from auth.passwords import digest, hash_secret, verify_secret


def test_hash_and_verify() -> None:
    stored = hash_secret("correct horse battery")
    assert stored.startswith("scrypt$")
    assert "correct" not in stored
    assert verify_secret(stored, "correct horse battery")
    assert not verify_secret(stored, "correct horse batterY")
    assert hash_secret("correct horse battery") != stored  # salted


def test_missing_or_malformed_hashes_never_verify() -> None:
    assert not verify_secret(None, "anything")
    assert not verify_secret("", "anything")
    assert not verify_secret("md5$abc", "anything")
    assert not verify_secret("scrypt$x$8$1$AAAA$AAAA", "anything")


def test_digest_is_stable_and_one_way() -> None:
    assert digest("abc") == digest("abc")
    assert digest("abc") != digest("abd")
    assert "abc" not in digest("abc")

"""SQLite auth store: one file of its own (AUTH_DATABASE_URL), WAL so several server processes share it.
Records are stored as JSON beside the columns that are looked up or updated atomically."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, replace
from typing import Any

from auth.models import AuthCode, Client, ClientKind, RefreshToken, Role, SigningKey, User
from auth.store.base import CodeReuse

_SCHEMA = """
CREATE TABLE IF NOT EXISTS client (client_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS user (user_id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS code (code_hash TEXT PRIMARY KEY, expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refresh (token_hash TEXT PRIMARY KEY, family TEXT NOT NULL,
    expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS refresh_family ON refresh (family);
CREATE TABLE IF NOT EXISTS revoked_family (family TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS seen_jti (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS revoked_access (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS signing_key (kid TEXT PRIMARY KEY, created_at INTEGER NOT NULL,
    body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rate_bucket (key TEXT PRIMARY KEY, tokens REAL NOT NULL, at REAL NOT NULL);
"""
# One statement, so atomic across processes: a new key starts full (burst - 1 left); an existing one is
# refilled for the time since its last take and loses one token, unless that leaves less than none (the
# WHERE then refuses the update: rowcount 0, nothing taken).
_TAKE_TOKEN = """
INSERT INTO rate_bucket (key, tokens, at) VALUES (:key, :burst - 1, :now)
ON CONFLICT (key) DO UPDATE SET tokens = min(:burst, tokens + max(0, :now - at) * :rate) - 1, at = :now
WHERE min(:burst, tokens + max(0, :now - at) * :rate) >= 1
"""
_IDLE_BUCKET_SECONDS = 3600  # a bucket untouched this long has refilled (bursts refill within minutes)


class SqliteAuthStore:
    def __init__(self, path: str) -> None:
        # One connection behind a lock: auth traffic is small next to FHIR traffic, and the handlers run in
        # the threadpool.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._lock = threading.Lock()
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def _one(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._db.execute(sql, args).fetchone()
            return row

    def _run(self, sql: str, *args: Any) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    # clients and users
    def put_client(self, client: Client) -> None:
        self._run("INSERT OR REPLACE INTO client VALUES (?, ?)", client.client_id, json.dumps(asdict(client)))

    def client(self, client_id: str) -> Client | None:
        row = self._one("SELECT body FROM client WHERE client_id = ?", client_id)
        if row is None:
            return None
        body = json.loads(row[0])
        return Client(
            **{**body, "kind": ClientKind(body["kind"]), "redirect_uris": tuple(body["redirect_uris"])}
        )

    def put_user(self, user: User) -> None:
        self._run(
            "INSERT OR REPLACE INTO user VALUES (?, ?, ?)",
            user.user_id,
            user.username,
            json.dumps(asdict(user)),
        )

    def user(self, user_id: str) -> User | None:
        return _user(self._one("SELECT body FROM user WHERE user_id = ?", user_id))

    def user_by_name(self, username: str) -> User | None:
        return _user(self._one("SELECT body FROM user WHERE username = ?", username))

    # authorization codes
    def add_code(self, code: AuthCode) -> None:
        self._run(
            "INSERT INTO code (code_hash, expires_at, body) VALUES (?, ?, ?)",
            code.code_hash,
            code.expires_at,
            json.dumps(asdict(code)),
        )

    def consume_code(self, code_hash: str, now: int) -> AuthCode | None:
        with self._lock:
            updated = self._db.execute(
                "UPDATE code SET used = 1 WHERE code_hash = ? AND used = 0 AND expires_at > ?",
                (code_hash, now),
            ).rowcount
            row = self._db.execute("SELECT used, body FROM code WHERE code_hash = ?", (code_hash,)).fetchone()
        if row is None:
            return None
        if not updated:
            if row[0]:
                raise CodeReuse(code_hash)
            return None  # expired
        return AuthCode(**json.loads(row[1]))

    # refresh tokens
    def add_refresh(self, token: RefreshToken) -> None:
        self._run(
            "INSERT INTO refresh (token_hash, family, expires_at, body) VALUES (?, ?, ?, ?)",
            token.token_hash,
            token.family,
            token.expires_at,
            json.dumps(asdict(token)),
        )

    def refresh(self, token_hash: str) -> RefreshToken | None:
        row = self._one(
            "SELECT used, revoked OR EXISTS (SELECT 1 FROM revoked_family f WHERE f.family = refresh.family),"
            " body FROM refresh WHERE token_hash = ?",
            token_hash,
        )
        if row is None:
            return None
        return replace(RefreshToken(**json.loads(row[2])), used=bool(row[0]), revoked=bool(row[1]))

    def use_refresh(self, token_hash: str) -> bool:
        return self._run("UPDATE refresh SET used = 1 WHERE token_hash = ? AND used = 0", token_hash) == 1

    def revoke_family(self, family: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO revoked_family VALUES (?)", (family,))
            self._db.execute("UPDATE refresh SET revoked = 1 WHERE family = ?", (family,))

    # one-time identifiers and revoked access tokens
    def remember_jti(self, key: str, expires_at: int, now: int) -> bool:
        with self._lock:
            self._db.execute("DELETE FROM seen_jti WHERE key = ? AND expires_at <= ?", (key, now))
            inserted = self._db.execute(
                "INSERT OR IGNORE INTO seen_jti VALUES (?, ?)", (key, expires_at)
            ).rowcount
        return inserted == 1

    def revoke_access(self, jti: str, expires_at: int) -> None:
        self._run("INSERT OR IGNORE INTO revoked_access VALUES (?, ?)", jti, expires_at)

    def access_revoked(self, jti: str) -> bool:
        return self._one("SELECT 1 FROM revoked_access WHERE jti = ?", jti) is not None

    # rate limits (shared by every process on this file)
    def take_token(self, key: str, rate_per_second: float, burst: float, now: float) -> bool:
        with self._lock:
            cursor = self._db.execute(
                _TAKE_TOKEN, {"key": key, "burst": burst, "now": now, "rate": rate_per_second}
            )
            return cursor.rowcount == 1

    # signing keys
    def signing_keys(self) -> list[SigningKey]:
        with self._lock:
            rows = self._db.execute("SELECT body FROM signing_key ORDER BY created_at, rowid").fetchall()
        return [SigningKey(**json.loads(body)) for (body,) in rows]

    def add_signing_key(self, key: SigningKey) -> None:
        self._run(
            "INSERT OR REPLACE INTO signing_key VALUES (?, ?, ?)",
            key.kid,
            key.created_at,
            json.dumps(asdict(key)),
        )

    def purge(self, now: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM code WHERE expires_at <= ?", (now - 3600,))  # kept a while: reuse
            self._db.execute("DELETE FROM refresh WHERE expires_at <= ?", (now,))
            self._db.execute("DELETE FROM seen_jti WHERE expires_at <= ?", (now,))
            self._db.execute("DELETE FROM revoked_access WHERE expires_at <= ?", (now,))
            self._db.execute("DELETE FROM rate_bucket WHERE at <= ?", (now - _IDLE_BUCKET_SECONDS,))
            self._db.execute("DELETE FROM signing_key WHERE json_extract(body, '$.drop_at') <= ?", (now,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _user(row: tuple[Any, ...] | None) -> User | None:
    if row is None:
        return None
    body = json.loads(row[0])
    return User(**{**body, "role": Role(body["role"]), "patients": tuple(body["patients"])})

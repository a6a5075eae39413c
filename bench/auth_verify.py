"""Cost of access-token verification and scope checking, what enforcement adds to each FHIR request.

    python -m bench.auth_verify                  # 2,000 distinct tokens per algorithm
    python -m bench.auth_verify --tokens 5000

For RS256 and ES256 it signs N distinct tokens with a fresh in-memory key ring, then times (1) the first
verification of each token (signature, claims, Principal) and (2) a second pass, which hits the verifier's
cache, plus one `ScopeSet.grant` lookup. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from auth.component import build_auth, build_verifier
from auth.models import Client, ClientKind
from auth.scopes import Context, Interaction
from auth.settings import AuthSettings

SCOPE = "system/Immunization.cruds system/Patient.rs"


def measure(alg: str, tokens: int) -> tuple[float, float]:
    settings = AuthSettings(database_url="memory://", signing_alg=alg)  # type: ignore[arg-type]
    auth = build_auth(settings)
    client = Client("emr", ClientKind.BACKEND, "EMR", "private_key_jwt", SCOPE, organization="org-1")
    now = int(time.time())
    signed = [auth.issuer.access_token(client, None, SCOPE, None, now) for _ in range(tokens)]
    verifier = build_verifier(settings, auth)
    started = time.perf_counter()
    for token in signed:
        verifier.verify(token)
    first = time.perf_counter() - started
    started = time.perf_counter()
    for token in signed:
        verifier.verify(token).scopes.grant(Context.SYSTEM, "Immunization", Interaction.READ)
    cached = time.perf_counter() - started
    return first * 1000 / tokens, cached * 1000 / tokens


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tokens", type=int, default=2000)
    args = parser.parse_args(argv)
    for alg in ("RS256", "ES256"):
        first, cached = measure(alg, args.tokens)
        print(f"{alg}: first verification {first:.3f} ms/token; cached + one scope check {cached:.4f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

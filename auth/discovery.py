"""SMART configuration (`.well-known/smart-configuration`) and OpenID Connect discovery documents."""

from __future__ import annotations

from typing import Any

from auth.client_auth import ASSERTION_ALGORITHMS
from auth.settings import AuthSettings

AUTH_METHODS = ["private_key_jwt", "client_secret_basic", "client_secret_post", "none"]
SCOPES = [
    "openid",
    "fhirUser",
    "launch/patient",
    "offline_access",
    "online_access",
    "patient/*.rs",
    "user/*.cruds",
    "system/*.cruds",
    "patient/*.read",
    "user/*.read",
    "user/*.write",
    "system/*.read",
    "system/*.write",
]


def _endpoints(settings: AuthSettings) -> dict[str, str]:
    base = f"{settings.issuer}/auth"
    return {
        "issuer": settings.issuer,
        "jwks_uri": f"{base}/jwks",
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/token",
        "introspection_endpoint": f"{base}/introspect",
        "revocation_endpoint": f"{base}/revoke",
    }


def smart_configuration(settings: AuthSettings) -> dict[str, Any]:
    return {
        **_endpoints(settings),
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "scopes_supported": SCOPES,
        "code_challenge_methods_supported": ["S256"],
        "capabilities": [
            "launch-standalone",
            "client-public",
            "client-confidential-symmetric",
            "client-confidential-asymmetric",
            "context-standalone-patient",
            "sso-openid-connect",
            "permission-offline",
            "permission-online",
            "permission-patient",
            "permission-user",
            "permission-v1",
            "permission-v2",
        ],
    }


def openid_configuration(settings: AuthSettings) -> dict[str, Any]:
    return {
        **_endpoints(settings),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [settings.signing_alg],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "scopes_supported": SCOPES,
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "fhirUser"],
        "code_challenge_methods_supported": ["S256"],
        "ui_locales_supported": ["vi", "en"],
    }

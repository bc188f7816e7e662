"""How a client that knows only the root logs in (the standard's chapter 4).

The anonymous root advertises the standard's login rels (OpenID Connect, OAuth 2.0, HTTP
Basic) and, beside them, the reference implementation's rels that its test clients look
for. The OpenID Connect rel points at `<root>/.well-known/openid-configuration`, which
describes the access service as the authorization server: the issuer of the tokens the
journal accepts, its token endpoint and its JWKS. There is no authorization endpoint (no
browser sign-in flow): a client signs in at the token endpoint with the password grant (a
person) or the client-credentials grant (a system), so the document follows RFC 8414's
authorization server metadata at the location OpenID Connect Discovery names.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from arkiv5_contracts.scopes import SCOPES

from ..api.deps import ctx_of
from .basic_login import token_endpoint
from .http import href

_STANDARD = "https://rel.arkivverket.no/noark5/v5/api/login/"
# The reference implementation's rels, which Noark 5 test clients look for.
_REFERENCE = "https://nikita.arkivlab.no/noark5/v5/login/"
OIDC_RELS = (f"{_STANDARD}oidc/", f"{_REFERENCE}oidc/")
OAUTH2_RELS = (f"{_STANDARD}rfc6749/", f"{_REFERENCE}rfc6749/")
# HTTP Basic (RFC 7617): any request may sign in with it (noark5/basic_login.py).
BASIC_RELS = (f"{_STANDARD}rfc7617/", f"{_REFERENCE}rfc7617/")

CONFIGURATION_PATH = ".well-known/openid-configuration"
# Where the reference implementation serves it; kept for clients that learnt that address.
OLD_CONFIGURATION_PATH = "login/oidc/.well-known/openid-configuration"

_TOKEN_SUFFIX = "/oauth2/token"
_JWKS_SUFFIX = "/.well-known/jwks.json"


def login_links(request: Request) -> dict[str, Any]:
    """The anonymous root's login links: every rel of each mechanism, standard and reference."""
    mechanisms = ((OIDC_RELS, href(request, CONFIGURATION_PATH)), (OAUTH2_RELS, token_endpoint(request)),
                  (BASIC_RELS, href(request, "")))
    return {name: {"href": target} for rels, target in mechanisms for name in rels}


def jwks_uri(request: Request) -> str:
    """The access service's JWKS as a client reaches it: beside the advertised token endpoint."""
    public_token_endpoint = token_endpoint(request)
    if public_token_endpoint.endswith(_TOKEN_SUFFIX):
        return public_token_endpoint.removesuffix(_TOKEN_SUFFIX) + _JWKS_SUFFIX
    settings = ctx_of(request).settings
    if settings.jwks_url:
        return settings.jwks_url
    return f"{request.url.scheme}://{request.url.netloc}/access{_JWKS_SUFFIX}"


def _issuer(request: Request) -> str | None:
    """The `iss` the journal accepts: its verifier's, which is the access service's issuer."""
    verifier = getattr(request.app.state, "token_verifier", None)
    issuer = getattr(verifier, "issuer", None) or ctx_of(request).settings.token_issuer
    return str(issuer) if issuer else None


def openid_configuration(request: Request) -> dict[str, Any]:
    """The authorization server's metadata (RFC 8414; OpenID Connect Discovery 1.0's location)."""
    document: dict[str, Any] = {
        "issuer": _issuer(request),
        "token_endpoint": token_endpoint(request),
        "jwks_uri": jwks_uri(request),
        # What the access service's token endpoint grants (its token exchange is for federated
        # sign-in through another identity provider, not for Noark 5 clients).
        "grant_types_supported": ["password", "client_credentials"],
        # A client authenticates in the Authorization header or in the form (RFC 6749 §2.3.1).
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": sorted(name for name, spec in SCOPES.items() if spec.audience == "journal"),
        # Required member; empty because there is no authorization endpoint to take a response_type.
        "response_types_supported": [],
        "subject_types_supported": ["public"],
    }
    return {name: value for name, value in document.items() if value is not None}

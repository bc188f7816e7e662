"""OAuth2 token endpoint, JWKS, and signing-key rotation."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.clock import as_utc
from arkiv5_kit.db import after_commit
from arkiv5_kit.errors import Forbidden

from ..auth import LocalJwks
from ..domain import audit, clients, federation, signing, tokens
from ..domain.service import Role
from ..schemas import ClientSecretCreated, SigningKeyRead
from .deps import AdminDep, Caller, ReadSessionDep, SessionDep, actor

router = APIRouter(tags=["tokens"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _basic_auth(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        user, sep, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise tokens.InvalidClient() from None
    if not sep:
        raise tokens.InvalidClient()
    # RFC 6749 §2.3.1: both halves are form-urlencoded before base64.
    return unquote(user), unquote(secret)


def _printable(*values: str | None) -> None:
    # PostgreSQL refuses NUL in text, and no username, client id or scope has a control character.
    for value in values:
        if value is not None and any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise tokens.InvalidRequest("A parameter contains a control character.")


@router.post(
    "/oauth2/token",
    summary="OAuth2 token endpoint: client_credentials (systems, services); token exchange (RFC 8693: a person "
    "signed in at a trusted identity provider); password (local accounts, development)",
)
async def token(
    request: Request,
    session: SessionDep,
    grant_type: Annotated[str, Form()],
    scope: Annotated[str | None, Form()] = None,
    audience: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    subject_token: Annotated[str | None, Form(max_length=16384)] = None,
    subject_token_type: Annotated[str | None, Form()] = None,
    requested_token_type: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    state = request.app.state
    _printable(grant_type, scope, audience, client_id, username, subject_token, subject_token_type,
               requested_token_type)
    extra: dict[str, str] = {}
    if grant_type == "client_credentials":
        credentials = _basic_auth(request) or (
            (client_id, client_secret) if client_id is not None and client_secret is not None else None
        )
        if credentials is None:
            raise tokens.InvalidClient()
        _printable(credentials[0])
        issued = await tokens.client_credentials(
            session, signer=state.signer, policy=state.token_policy, client_id=credentials[0],
            client_secret=credentials[1], audience=audience, scope=scope,
        )
    elif grant_type == federation.GRANT_TYPE:
        if not subject_token or subject_token_type is None:
            raise tokens.InvalidRequest("The token exchange needs subject_token and subject_token_type.")
        if subject_token_type not in federation.SUBJECT_TOKEN_TYPES:
            raise tokens.InvalidRequest("subject_token_type is an ID token, an access token or a JWT.")
        if requested_token_type not in (None, federation.ACCESS_TOKEN_TYPE):
            raise tokens.InvalidRequest("Only an access token is issued here.")
        issued = await federation.exchange(
            session, federation=state.federation, signer=state.signer, policy=state.token_policy,
            subject_token=subject_token, audience=audience, scope=scope,
        )
        extra["issued_token_type"] = federation.ACCESS_TOKEN_TYPE
    elif grant_type == "password" and state.settings.password_grant_enabled:
        if not username or password is None:
            raise tokens.InvalidRequest("The password grant needs username and password.")
        issued = await tokens.password(
            session, signer=state.signer, policy=state.token_policy, username=username, secret=password,
            audience=audience, scope=scope,
        )
    else:
        raise tokens.UnsupportedGrantType()
    body = {"access_token": issued.access_token, "token_type": issued.token_type, "expires_in": issued.expires_in,
            "scope": issued.scope, **extra}
    return JSONResponse(body, headers=NO_STORE)


@router.get("/.well-known/jwks.json", summary="The public keys that verify access tokens (JWKS)")
async def jwks(request: Request, session: ReadSessionDep) -> JSONResponse:
    policy: signing.KeyPolicy = request.app.state.key_policy
    keys = signing.published(await signing.all_keys(session), policy, clock.now())
    # Short cache: a rotated-in key must reach verifiers within the publish-ahead time.
    return JSONResponse({"keys": [k.public_jwk for k in keys]}, headers={"Cache-Control": "public, max-age=30"})


def _key_read(key: Any, keys: list[Any], published: list[Any]) -> SigningKeyRead:
    at = clock.now()
    current = signing.signing_key(keys, at)
    return SigningKeyRead(
        kid=key.kid, alg=key.alg, created_at=as_utc(key.created_at), activates_at=as_utc(key.activates_at),
        is_encrypted=key.is_encrypted, is_signing=current is not None and current.kid == key.kid,
        is_published=key in published,
    )


@router.get("/admin/signing-keys", summary="Signing keys: which signs, which are published")
async def list_keys(
    request: Request, session: ReadSessionDep, who: AdminDep
) -> list[SigningKeyRead]:
    keys = await signing.all_keys(session)
    published = signing.published(keys, request.app.state.key_policy, clock.now())
    return [_key_read(k, keys, published) for k in keys]


@router.post(
    "/admin/signing-keys/rotate", status_code=201,
    summary="Rotate: a new key is published now and signs after the publish-ahead time",
)
async def rotate(
    request: Request, session: SessionDep, who: AdminDep
) -> SigningKeyRead:
    me = await actor(session, who)
    if not me.has(Role.ARKIVLEDER, Role.SYSTEMANSVARLIG):
        raise Forbidden("Key rotation needs the role arkivleder or systemansvarlig.")
    key = await signing.rotate(session, request.app.state.key_policy)
    jwks = getattr(request.app.state.token_verifier, "jwks", None)
    if isinstance(jwks, LocalJwks):
        jwks.invalidate()
    await audit.record(session, action="signing-key.rotated", outcome="allowed", actor_id=who.subject_id,
                       details={"kid": key.kid})
    keys = await signing.all_keys(session)
    return _key_read(key, keys, signing.published(keys, request.app.state.key_policy, clock.now()))


def _keys_changed(request: Request, session: SessionDep) -> None:
    """This process's verifier reloads the key table at its next unknown kid once the change has
    committed: a key added or activated here is honoured at once, not after the reload interval."""
    jwks = getattr(request.app.state.token_verifier, "jwks", None)
    if isinstance(jwks, LocalJwks):
        async def reload_next() -> None:
            jwks.invalidate()
        after_commit(session, reload_next)


async def _key_admin(session: SessionDep, who: Caller) -> None:
    me = await actor(session, who)
    if not me.has(Role.ARKIVLEDER, Role.SYSTEMANSVARLIG):
        raise Forbidden("Key and secret operations need the role arkivleder or systemansvarlig.")


async def _answer(request: Request, session: SessionDep, key: Any) -> SigningKeyRead:
    keys = await signing.all_keys(session)
    return _key_read(key, keys, signing.published(keys, request.app.state.key_policy, clock.now()))


KidPath = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ClientIdPath = Annotated[str, Path(min_length=3, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]+$")]


class KeyActivate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    immediately: bool = False


@router.post("/admin/signing-keys", status_code=201,
             summary="Add a signing key: published in the JWKS now, signing only once activated")
async def add_key(request: Request, session: SessionDep, who: AdminDep) -> SigningKeyRead:
    await _key_admin(session, who)
    key = await signing.add(session, request.app.state.key_policy)
    _keys_changed(request, session)
    await audit.record(session, action="signing-key.added", outcome="allowed", actor_id=who.subject_id,
                       details={"kid": key.kid})
    return await _answer(request, session, key)


@router.post("/admin/signing-keys/{kid}/activate",
             summary="Activate a key: it signs from now (after the publish-ahead time, or immediately)")
async def activate_key(
    kid: KidPath, request: Request, session: SessionDep, who: AdminDep, body: KeyActivate | None = None
) -> SigningKeyRead:
    await _key_admin(session, who)
    key = await signing.activate(session, request.app.state.key_policy, kid,
                                 immediately=body.immediately if body else False)
    _keys_changed(request, session)
    await audit.record(session, action="signing-key.activated", outcome="allowed", actor_id=who.subject_id,
                       details={"kid": kid})
    return await _answer(request, session, key)


@router.post("/admin/signing-keys/{kid}/retire",
             summary="Retire a key: it stops signing now and leaves the JWKS when its last token has expired")
async def retire_key(kid: KidPath, request: Request, session: SessionDep, who: AdminDep) -> SigningKeyRead:
    await _key_admin(session, who)
    key = await signing.retire(session, kid)
    _keys_changed(request, session)
    await audit.record(session, action="signing-key.retired", outcome="allowed", actor_id=who.subject_id,
                       details={"kid": kid})
    return await _answer(request, session, key)


@router.delete("/admin/signing-keys/{kid}", status_code=204,
               summary="Remove a compromised key: it leaves the JWKS at once (another key must sign)")
async def remove_key(kid: KidPath, request: Request, session: SessionDep, who: AdminDep) -> Response:
    await _key_admin(session, who)
    await signing.remove(session, kid)
    await audit.record(session, action="signing-key.removed", outcome="allowed", actor_id=who.subject_id,
                       details={"kid": kid})
    jwks = getattr(request.app.state.token_verifier, "jwks", None)
    if isinstance(jwks, LocalJwks):
        jwks.forget(kid)
    return Response(status_code=204)


@router.post("/clients/{client_id}/secrets", status_code=201, response_model=ClientSecretCreated,
             summary="A client's second secret (shown once); both open until the first is retired")
async def add_client_secret(client_id: ClientIdPath, session: SessionDep, who: AdminDep) -> JSONResponse:
    await _key_admin(session, who)
    account, secret = await clients.add_secret(session, client_id=client_id, by=who.subject_id)
    created = ClientSecretCreated(account_id=account.id, client_id=client_id, client_secret=secret)
    return JSONResponse(created.model_dump(mode="json"), status_code=201, headers=NO_STORE)


@router.post("/clients/{client_id}/secrets/retire-first",
             summary="Retire a client's first secret: only the second one opens from now")
async def retire_client_secret(client_id: ClientIdPath, session: SessionDep, who: AdminDep) -> dict[str, str]:
    await _key_admin(session, who)
    account = await clients.retire_first_secret(session, client_id=client_id, by=who.subject_id)
    return {"account_id": str(account.id), "client_id": client_id}

"""A small stand-in for KS SvarUt and Maskinporten, for development, tests and benchmarks.

It implements the endpoints the gateway uses, following KS's OpenAPI files (requests and
answers are validated against them): v3 send to person / organisasjon / print (multipart),
v3 status search, the v2 eksternRef look-up, and Maskinporten's token endpoint for the
JWT-grant flow. Accepted letters move through their statuses over time. It counts
deliveries per eksternReferanse, so a test can prove that no letter went out twice.

Faults are switchable per test (`app.state.simulator.faults = Faults(rate=0.2)` or
`PUT /_simulator/faults`): 5xx answers, timeouts after accepting (the letter is stored,
the answer comes too late), slow answers, and connection resets — before or after the
letter was accepted. A letter accepted during a fault becomes visible to the eksternRef
look-up only after `registration_delay_s`, like SvarUt still processing what it received.

It keeps a record of every forsendelse it accepted — the metadata as received, security
level, encryption, and per document its name, media type, size and SHA-256 (of the
decrypted PDF too, when it holds the private key of the certificate the gateway encrypts
to): `GET /_simulator/forsendelser` (`?eksternRef=…`) and `GET /_simulator/forsendelser/{id}`.
The records hold what a real SvarUt would hold, names and numbers included: the simulator is
for development and tests only.

Statuses advance by `status_step_s` on the simulator's clock (`SimulatorConfig.clock`, a
monotonic clock unless a test passes its own and moves it).

Run it: `python -m arkiv5_svarut_gateway.simulator --host 127.0.0.1 --port 8089`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from jose import jwt
from jose.exceptions import JOSEError
from starlette.datastructures import UploadFile

from arkiv5_contracts.identifiers import IdentifierError, validate_fodselsnummer, validate_orgnr

from .svarut import spec

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FAULT_KINDS = ("5xx", "timeout_after_accept", "slow", "reset")
PROGRESSION = {
    "person": ["MOTTATT", "AKSEPTERT", "SENDT_SDP", "LEVERT_SDP"],
    "organisasjon": ["MOTTATT", "AKSEPTERT", "KLAR_FOR_MOTTAK", "LEST"],
    "print": ["MOTTATT", "AKSEPTERT", "SENDT_PRINT", "PRINTET"],
}


@dataclass
class Faults:
    """Which share of calls fail, and how. `kinds` are drawn evenly."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    slow_s: float = 0.2  # a slow answer, still within the client's timeout
    hold_s: float = 2.0  # a timeout: the answer comes after the client gave up
    endpoints: tuple[str, ...] = ("send", "status", "lookup", "token")
    seed: int | None = None


@dataclass
class SimulatorConfig:
    konto_id: uuid.UUID = field(default_factory=lambda: uuid.UUID("6f0b2b54-6f5a-4d4b-9c55-3c5e2b1b7a10"))
    integrasjon_id: str = "arkiv5-test-integrasjon"
    integrasjon_passord: str = "arkiv5-test-passord"
    maskinporten_audience: str = "https://maskinporten.simulator/"
    maskinporten_client_id: str | None = None  # None: any issuer
    maskinporten_public_key_pem: str | None = None  # None: the assertion's signature is not checked
    token_lifetime_s: int = 120
    status_step_s: float = 0.2  # time between status steps of an accepted letter
    registration_delay_s: float = 0.0  # letters accepted during a fault turn up in the look-up this late
    max_total_bytes: int = 350 * 1024 * 1024
    faults: Faults = field(default_factory=Faults)
    # The key pair whose certificate the gateway encrypts screened letters to (see
    # `encryption_keypair`); with it the records show the decrypted documents' SHA-256.
    encryption_key_pem: str | None = None
    encryption_certificate_pem: str | None = None
    clock: Callable[[], float] = time.monotonic


@dataclass
class StoredForsendelse:
    id: uuid.UUID
    ekstern_ref: str | None
    channel: str
    accepted_at: float  # monotonic
    accepted_wall: datetime
    visible_at: float
    record: dict[str, Any] = field(default_factory=dict)


class ManualClock:
    """A clock a test moves by hand: statuses advance only when it does (independent of machine load)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def encryption_keypair(directory: Path | None = None) -> tuple[str, str]:
    """(private key PEM, self-signed certificate PEM) for the simulator's encryption.

    With a directory, the pair is kept there and read back on the next start, so letters
    encrypted before a restart can still be decrypted.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key_file = directory / "svarut-simulator-key.pem" if directory else None
    cert_file = directory / "svarut-simulator-cert.pem" if directory else None
    if key_file and cert_file and key_file.exists() and cert_file.exists():
        return key_file.read_text(), cert_file.read_text()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "KS SvarUt simulator")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=3650)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    if key_file and cert_file:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.touch(mode=0o600)
        key_file.write_text(key_pem)
        cert_file.write_text(cert_pem)
    return key_pem, cert_pem


def _decrypt(content: bytes, key_pem: str, certificate_pem: str) -> bytes | None:
    """The CMS EnvelopedData's content, or None when it is not for this key."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key, pkcs7

    key = load_pem_private_key(key_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        return None
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    try:
        return pkcs7.pkcs7_decrypt_der(content, certificate, key, [])
    except ValueError:
        return None


class ResetConnection(ConnectionResetError):
    """Raised after a partial answer: the server drops the connection."""


class SimulatorState:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.faults = config.faults
        self.forsendelser: dict[uuid.UUID, StoredForsendelse] = {}
        self.by_ref: dict[str, list[uuid.UUID]] = {}
        self.deliveries: Counter[str] = Counter()  # eksternReferanse -> accepted sends
        self.calls: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.rejected: list[dict[str, Any]] = []  # 4xx answers given to invalid requests
        self.tokens: dict[str, float] = {}
        self._random = random.Random(config.faults.seed)

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)

    def draw_fault(self, endpoint: str) -> str | None:
        self.calls[endpoint] += 1
        faults = self.faults
        if faults.rate <= 0 or endpoint not in faults.endpoints or self._random.random() >= faults.rate:
            return None
        kind = self._random.choice(faults.kinds)
        self.injected[kind] += 1
        return kind

    def coin(self) -> bool:
        return self._random.random() < 0.5

    def accept(self, channel: str, ekstern_ref: str | None, *, delayed: bool,
               record: dict[str, Any] | None = None) -> StoredForsendelse:
        now = self.config.clock()
        stored = StoredForsendelse(
            uuid.uuid4(), ekstern_ref, channel, now, datetime.now(UTC),
            now + (self.config.registration_delay_s if delayed else 0.0), record or {},
        )
        self.forsendelser[stored.id] = stored
        if ekstern_ref is not None:
            self.by_ref.setdefault(ekstern_ref, []).append(stored.id)
            self.deliveries[ekstern_ref] += 1
        return stored

    def status_of(self, stored: StoredForsendelse) -> tuple[str, datetime]:
        steps = PROGRESSION[stored.channel]
        step_s = self.config.status_step_s
        elapsed = self.config.clock() - stored.accepted_at
        index = min(len(steps) - 1, int(elapsed / step_s) if step_s > 0 else len(steps) - 1)
        return steps[index], stored.accepted_wall + timedelta(seconds=index * step_s)


def _document_record(dokument: dict[str, Any], content: bytes, config: SimulatorConfig, *,
                     encrypted: bool) -> dict[str, Any]:
    """Name, media type, size and SHA-256 as received; decrypted too when the simulator holds the key."""
    entry: dict[str, Any] = {
        "filnavn": dokument.get("filnavn"), "mimeType": dokument.get("mimeType"),
        "size": len(content), "sha256": hashlib.sha256(content).hexdigest(), "decrypted": None,
    }
    if encrypted and config.encryption_key_pem and config.encryption_certificate_pem:
        plain = _decrypt(content, config.encryption_key_pem, config.encryption_certificate_pem)
        entry["decrypted"] = plain is not None
        if plain is not None:
            entry.update(decrypted_size=len(plain), decrypted_sha256=hashlib.sha256(plain).hexdigest(),
                         decrypted_is_pdf=plain.startswith(b"%PDF"))
    return entry


def _error(status: int, error: str, message: str, path: str, code: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "timestamp": int(time.time() * 1000), "status": status, "error": error,
        "errorId": str(uuid.uuid4()), "path": path, "message": message,
    }
    if code:
        body["errorCode"] = code
    spec.validate_error(body)
    return JSONResponse(body, status_code=status)


def _reset() -> Response:
    """Start an answer, then drop the connection: the client sees a broken response."""

    async def body():  # type: ignore[no-untyped-def]
        yield b'{"id'
        raise ResetConnection("simulated connection reset")

    return StreamingResponse(body(), media_type="application/json", headers={"content-length": "64"})


def create_simulator_app(config: SimulatorConfig | None = None) -> FastAPI:
    """The simulator app; `app.state.simulator` is its state (deliveries, faults, ...)."""
    config = config or SimulatorConfig()
    state = SimulatorState(config)
    app = FastAPI(title="KS SvarUt simulator", docs_url=None, redoc_url=None)
    app.state.simulator = state
    api = "/api"

    def check_auth(request: Request) -> JSONResponse | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        expires = state.tokens.get(token)
        if scheme.lower() != "bearer" or expires is None or expires < time.monotonic():
            return _error(401, "Unauthorized", "Ugyldig eller manglende Maskinporten-token", request.url.path)
        if (request.headers.get("IntegrasjonId") != config.integrasjon_id
                or request.headers.get("IntegrasjonPassord") != config.integrasjon_passord):
            return _error(401, "Unauthorized", "Ugyldig integrasjon", request.url.path)
        return None

    def check_konto(request: Request, konto_id: str) -> JSONResponse | None:
        try:
            ok = uuid.UUID(konto_id) == config.konto_id
        except ValueError:
            return _error(400, "Bad Request", "kontoId må være en UUID", request.url.path, "UGYLDIG_KONTO_ID")
        if not ok:
            return _error(403, "Forbidden", "Integrasjonen har ikke tilgang til kontoen", request.url.path)
        return None

    async def apply_fault_before(kind: str | None, request: Request) -> Response | None:
        """Faults that strike before any work; a send's 5xx and resets strike after half the time."""
        if kind == "slow":
            await asyncio.sleep(state.faults.slow_s)
            return None
        if kind not in ("5xx", "reset"):
            return None
        if request.url.path.endswith(("/person", "/organisasjon", "/print")) and state.coin():
            return None  # strikes after the letter was accepted (apply_fault_after)
        if kind == "5xx":
            return _error(503, "Service Unavailable", "SvarUt er midlertidig utilgjengelig", request.url.path)
        return _reset()

    async def apply_fault_after(kind: str | None, request: Request, response: Response) -> Response:
        """After the work is done (a letter is stored): answer late, badly, or not at all."""
        if kind == "timeout_after_accept":
            await asyncio.sleep(state.faults.hold_s)
        elif kind == "5xx":
            return _error(500, "Internal Server Error", "Uventet feil", request.url.path)
        elif kind == "reset":
            return _reset()
        return response

    def reject(request: Request, message: str, code: str) -> JSONResponse:
        state.rejected.append({"path": request.url.path, "code": code, "message": message})
        return _error(400, "Bad Request", message, request.url.path, code)

    @app.post("/maskinporten/token")
    async def token(request: Request) -> Response:
        kind = state.draw_fault("token")
        if (early := await apply_fault_before(kind, request)) is not None:
            return early
        form = await request.form()
        if form.get("grant_type") != JWT_GRANT or not isinstance(form.get("assertion"), str):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        assertion = str(form["assertion"])
        try:
            if config.maskinporten_public_key_pem:
                claims = jwt.decode(assertion, config.maskinporten_public_key_pem, algorithms=["RS256"],
                                    audience=config.maskinporten_audience)
            else:
                claims = jwt.get_unverified_claims(assertion)
                if claims.get("aud") != config.maskinporten_audience:
                    raise JOSEError("audience")
        except JOSEError:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if config.maskinporten_client_id and claims.get("iss") != config.maskinporten_client_id:
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        if "ks:fiks" not in str(claims.get("scope", "")).split():
            return JSONResponse({"error": "invalid_scope"}, status_code=400)
        access = secrets.token_urlsafe(24)
        state.tokens[access] = time.monotonic() + config.token_lifetime_s
        return await apply_fault_after(kind, request, JSONResponse(
            {"access_token": access, "token_type": "Bearer", "expires_in": config.token_lifetime_s,
             "scope": "ks:fiks"}))

    async def send(request: Request, konto_id: str, channel: str) -> Response:
        kind = state.draw_fault("send")
        if (denied := check_auth(request) or check_konto(request, konto_id)) is not None:
            return denied
        if (early := await apply_fault_before(kind, request)) is not None:
            return early
        form = await request.form()
        parts = list(form.multi_items())
        meta_parts = [v for k, v in parts if k == "forsendelse"]
        if len(meta_parts) != 1:
            return reject(request, "Mangler part 'forsendelse'", "UGYLDIG_FORESPORSEL")
        raw = meta_parts[0]
        raw_text = (await raw.read()).decode() if isinstance(raw, UploadFile) else str(raw)
        try:
            forsendelse = json.loads(raw_text)
        except ValueError:
            return reject(request, "forsendelse er ikke gyldig JSON", "UGYLDIG_FORESPORSEL")
        try:
            spec.validate_forsendelse(channel, forsendelse)
        except spec.SchemaViolation as exc:
            return reject(request, f"Valideringsfeil: {exc}", "VALIDERINGSFEIL")
        files = [v for k, v in parts if k != "forsendelse" and isinstance(v, UploadFile)]
        dokumenter = forsendelse.get("dokumenter") or []
        if not dokumenter:
            return reject(request, "Forsendelsen har ingen dokumenter", "VALIDERINGSFEIL")
        names = [d["filnavn"] for d in dokumenter]
        if len(set(names)) != len(names):
            return reject(request, "Filnavn må være unike", "VALIDERINGSFEIL")
        if [f.filename for f in files] != names:
            return reject(request, "Filene samsvarer ikke med dokumenter (filename og rekkefølge)", "VALIDERINGSFEIL")
        total = 0
        received: list[dict[str, Any]] = []
        for f, dokument in zip(files, dokumenter, strict=True):
            content = await f.read()
            total += len(content)
            received.append(_document_record(dokument, content, config, encrypted=bool(forsendelse.get("kryptert"))))
            if forsendelse.get("kryptert"):
                if content[:1] != b"\x30":  # DER SEQUENCE: CMS EnvelopedData
                    return reject(request, "Kryptert forsendelse med ukrypterte filer", "VALIDERINGSFEIL")
                if received[-1]["decrypted"] is False:
                    return reject(request, "Dokumentet er ikke kryptert til SvarUts sertifikat", "VALIDERINGSFEIL")
            elif not content.startswith(b"%PDF") and channel == "print":
                return reject(request, "Kun PDF kan printes", "VALIDERINGSFEIL")
        if total > config.max_total_bytes:
            return reject(request, "Forsendelsen er for stor", "FOR_STOR")
        if channel == "print" and any(d.get("mimeType") != "application/pdf" for d in dokumenter):
            return reject(request, "Kun application/pdf godtas for print", "VALIDERINGSFEIL")
        if forsendelse.get("sikkerhetsniva") == "HOYESTE" and not forsendelse.get("kryptert"):
            return reject(request, "Sikkerhetsnivå HOYESTE krever krypterte dokumenter", "VALIDERINGSFEIL")
        if channel != "print":
            digital_id = forsendelse["mottaker"]["digitalId"]
            try:
                if channel == "person":
                    validate_fodselsnummer(digital_id)
                else:
                    validate_orgnr(digital_id)
            except IdentifierError:
                return reject(request, "Ugyldig digitalId for mottaker", "UGYLDIG_DIGITAL_ID")
        record = {
            "channel": channel, "eksternReferanse": forsendelse.get("eksternReferanse"),
            "sikkerhetsniva": forsendelse.get("sikkerhetsniva"), "kryptert": bool(forsendelse.get("kryptert")),
            "received_at": datetime.now(UTC).isoformat(), "forsendelse": forsendelse, "documents": received,
        }
        stored = state.accept(channel, forsendelse.get("eksternReferanse"), delayed=kind is not None, record=record)
        body = {"id": str(stored.id)}
        spec.validate_send_response(body)
        return await apply_fault_after(kind, request, JSONResponse(body))

    for channel in ("person", "organisasjon", "print"):
        async def endpoint(request: Request, kontoId: str, _channel: str = channel) -> Response:  # noqa: N803
            return await send(request, kontoId, _channel)

        app.add_api_route(f"{api}/v3/kontoer/{{kontoId}}/forsendelser/{channel}", endpoint, methods=["POST"],
                          name=f"send_{channel}")

    @app.post(f"{api}/v3/kontoer/{{kontoId}}/forsendelser/status/sok")
    async def status_sok(request: Request, kontoId: str) -> Response:  # noqa: N803
        kind = state.draw_fault("status")
        if (denied := check_auth(request) or check_konto(request, kontoId)) is not None:
            return denied
        if (early := await apply_fault_before(kind, request)) is not None:
            return early
        try:
            body = json.loads(await request.body())
            spec.validate_status_request(body)
        except (ValueError, spec.SchemaViolation):
            return reject(request, "Ugyldig søk", "VALIDERINGSFEIL")
        statuser = []
        for raw in body["id"]:
            stored = state.forsendelser.get(uuid.UUID(raw))
            if stored is None:
                continue
            status, changed = state.status_of(stored)
            statuser.append({"id": str(stored.id), "status": status, "sisteStatusEndring": changed.isoformat()})
        answer = {"statuser": statuser}
        spec.validate_status_response(answer)
        return await apply_fault_after(kind, request, JSONResponse(answer))

    @app.get(f"{api}/v2/kontoer/{{kontoId}}/forsendelser")
    async def eksternref(request: Request, kontoId: str, eksternRef: str | None = None) -> Response:  # noqa: N803
        kind = state.draw_fault("lookup")
        if (denied := check_auth(request) or check_konto(request, kontoId)) is not None:
            return denied
        if (early := await apply_fault_before(kind, request)) is not None:
            return early
        if not eksternRef:
            return reject(request, "eksternRef mangler", "VALIDERINGSFEIL")
        now = config.clock()
        ids = [str(i) for i in state.by_ref.get(eksternRef, []) if state.forsendelser[i].visible_at <= now]
        answer = {"forsendelseIds": ids}
        spec.validate_eksternref_response(answer)
        return await apply_fault_after(kind, request, JSONResponse(answer))

    @app.get("/_simulator/deliveries")
    async def deliveries() -> dict[str, Any]:
        return {"deliveries": dict(state.deliveries), "calls": dict(state.calls), "injected": dict(state.injected),
                "rejected": len(state.rejected)}

    def describe(stored: StoredForsendelse, *, full: bool) -> dict[str, Any]:
        status, changed = state.status_of(stored)
        summary = {"id": str(stored.id), "status": status, "status_changed_at": changed.isoformat(),
                   **{k: v for k, v in stored.record.items() if full or k != "forsendelse"}}
        return summary

    @app.get("/_simulator/forsendelser")
    async def received_list(eksternRef: str | None = None) -> dict[str, Any]:  # noqa: N803
        """Every forsendelse accepted, oldest first (documents included, the metadata JSON left out)."""
        chosen = [f for f in state.forsendelser.values() if eksternRef is None or f.ekstern_ref == eksternRef]
        return {"items": [describe(f, full=False) for f in chosen]}

    @app.get("/_simulator/forsendelser/{forsendelse_id}")
    async def received_one(forsendelse_id: uuid.UUID, request: Request) -> Response:
        """One accepted forsendelse with the metadata JSON exactly as received."""
        stored = state.forsendelser.get(forsendelse_id)
        if stored is None:
            return _error(404, "Not Found", "Ukjent forsendelse", request.url.path)
        return JSONResponse(describe(stored, full=True))

    @app.put("/_simulator/faults")
    async def set_faults(request: Request) -> dict[str, Any]:
        body = await request.json()
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in body.items()}
        state.set_faults(Faults(**values))
        return {"rate": state.faults.rate, "kinds": list(state.faults.kinds)}

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--konto-id", type=uuid.UUID, default=None)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--status-step-s", type=float, default=2.0, help="Time between status steps")
    parser.add_argument("--registration-delay-s", type=float, default=0.0,
                        help="Letters accepted during a fault show up in the eksternRef look-up this late")
    parser.add_argument("--keys-dir", type=Path, default=None,
                        help="Keep the encryption key pair here (made on first start); give the gateway "
                             "svarut-simulator-cert.pem as SVARUT_GATEWAY_SVARUT_ENCRYPTION_CERTIFICATE_PEM")
    args = parser.parse_args(argv)
    config = SimulatorConfig(status_step_s=args.status_step_s, registration_delay_s=args.registration_delay_s,
                             faults=Faults(rate=args.fault_rate))
    if args.keys_dir is not None:
        config.encryption_key_pem, config.encryption_certificate_pem = encryption_keypair(args.keys_dir)
    if args.konto_id:
        config.konto_id = args.konto_id
    # Injected resets are logged by uvicorn as errors; keep the console for real problems.
    uvicorn.run(create_simulator_app(config), host=args.host, port=args.port, log_level="critical")


if __name__ == "__main__":
    main()

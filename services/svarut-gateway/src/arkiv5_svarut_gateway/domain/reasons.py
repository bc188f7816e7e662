"""Why a letter waits: one code per cause and a sentence a case handler or administrator understands.

Every letter that is not on its way (PENDING, SENDING or UNCERTAIN after a first attempt)
carries one of these, in the read API, in the `DispatchWaiting` event back to the journal,
in one WARNING log line when the cause changes, and in the gauge
`arkiv5_svarut_dispatches_waiting{reason=…}`. Sentences hold no personal data: they are the
same for every letter with the same cause.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Waiting:
    code: str
    sentence: str
    needs_administrator: bool = False  # nothing changes until someone acts (the alert fires at once)


ENCRYPTION_CERTIFICATE_MISSING = Waiting(
    "encryption-certificate-missing",
    "The letter is screened and must be encrypted for SvarUt, but the gateway has no SvarUt encryption "
    "certificate. The system administrator must set SVARUT_GATEWAY_SVARUT_ENCRYPTION_CERTIFICATE_PEM; "
    "the letter is sent as soon as the gateway restarts with it.",
    needs_administrator=True,
)
SVARUT_UNREACHABLE = Waiting(
    "svarut-unreachable",
    "SvarUt cannot be reached (no connection); nothing was sent. The gateway tries again by itself.",
)
CIRCUIT_OPEN = Waiting(
    "circuit-open",
    "SvarUt failed many times in a row, so the gateway pauses its calls for a short while; "
    "nothing was sent. The letter goes as soon as SvarUt answers again.",
)
CREDENTIALS_REFUSED = Waiting(
    "svarut-credentials-refused",
    "SvarUt refused the gateway's credentials (401/403); nothing was sent. The system administrator must "
    "check the IntegrasjonId and IntegrasjonPassord and the Maskinporten client and scope ks:fiks.",
    needs_administrator=True,
)
MASKINPORTEN_UNAVAILABLE = Waiting(
    "maskinporten-unavailable",
    "The gateway could not get a Maskinporten token for SvarUt; nothing was sent. It tries again by itself; "
    "if this lasts, the system administrator must check the Maskinporten key, kid and client id.",
)
SVARUT_SERVER_ERROR = Waiting(
    "svarut-server-error",
    "SvarUt answered with a server error (5xx) while receiving the letter. It may have been taken: the "
    "gateway is checking with SvarUt before it sends again, so the recipient never gets it twice.",
)
SVARUT_TIMEOUT = Waiting(
    "svarut-timeout",
    "SvarUt did not answer in time (or the connection broke) while receiving the letter. It may have been "
    "taken: the gateway is checking with SvarUt before it sends again, so the recipient never gets it twice.",
)
INTERRUPTED = Waiting(
    "send-interrupted",
    "The gateway stopped while it was sending the letter. It is checking with SvarUt whether the letter "
    "arrived before it sends again, so the recipient never gets it twice.",
)
LOOKUP_FAILED = Waiting(
    "lookup-failed",
    "The gateway could not ask SvarUt whether it got the letter (SvarUt did not answer). It asks again "
    "shortly and sends nothing meanwhile.",
)
NOT_FOUND_SENDING_AGAIN = Waiting(
    "not-received-sending-again",
    "SvarUt has no trace of the letter after its whole processing window, so it was never taken; "
    "the gateway sends it again.",
)
JOURNAL_UNAVAILABLE = Waiting(
    "journal-unavailable",
    "The journal could not hand over the letter and its documents just now; the gateway tries again by itself.",
)
CONVERSION_PENDING = Waiting(
    "conversion-pending",
    "A document is being converted to PDF for sending; the letter goes as soon as the PDF is ready.",
)
UNEXPECTED = Waiting(
    "unexpected-error",
    "An unexpected error stopped this letter; the gateway tries again by itself. If this lasts, the system "
    "administrator finds the error in the gateway's log under this letter's forsendelse id.",
)

ALL: tuple[Waiting, ...] = (
    ENCRYPTION_CERTIFICATE_MISSING, SVARUT_UNREACHABLE, CIRCUIT_OPEN, CREDENTIALS_REFUSED, MASKINPORTEN_UNAVAILABLE,
    SVARUT_SERVER_ERROR, SVARUT_TIMEOUT, INTERRUPTED, LOOKUP_FAILED, NOT_FOUND_SENDING_AGAIN, JOURNAL_UNAVAILABLE,
    CONVERSION_PENDING, UNEXPECTED,
)
BY_CODE = {w.code: w for w in ALL}

# SvarUt statuses after acceptance that a person must look at (the letter did not reach the recipient).
NOT_DELIVERED = Waiting(
    "not-delivered",
    "SvarUt could not deliver the letter (IKKE_LEVERT: digital delivery only, and it failed). "
    "Send it again by another channel, or on paper.",
)
REFUSED_AFTER_RECEIPT = Waiting(
    "refused-after-receipt",
    "SvarUt refused the letter after receiving it (AVVIST or FEILET_UNDER_MOTTAK). Check the recipient and "
    "the documents and send again.",
)
HANDLED_MANUALLY = Waiting(
    "handled-manually",
    "SvarUt marked the letter as handled manually (MANUELT_HANDTERT); ask KS support what happened to it.",
)
DELETED = Waiting("deleted-in-svarut", "The letter was deleted in SvarUt (SLETTET) and did not reach the recipient.")
STATUS_NEEDS_ATTENTION = {
    "IKKE_LEVERT": NOT_DELIVERED, "AVVIST": REFUSED_AFTER_RECEIPT, "FEILET_UNDER_MOTTAK": REFUSED_AFTER_RECEIPT,
    "MANUELT_HANDTERT": HANDLED_MANUALLY, "SLETTET": DELETED,
}

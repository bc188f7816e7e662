"""The journalstatus routine (seed 000 step 4, seed 004 §8): which status may follow which.

Incoming post: M (temporary, e.g. scanned and not yet processed) or S → J → A.
Own documents: R (reserved, being written) → F (done by the case handler) → G (approved
by the unit leader) → E (sent) → J → A. A decision (vedtak) is sent only after G; other
outgoing letters may be sent from F. E is never set by hand: it is the result of the
ekspedere command once every recipient's letter is accepted. Internal notes (N, X) and
saksframlegg (S) are not sent: F or G → J. Any status but A may be cancelled to U; a
numbered journalpost is never deleted.
"""

from __future__ import annotations

from arkiv5_contracts.codelists import Journalposttype as T
from arkiv5_contracts.codelists import Journalstatus as S

_INCOMING = {
    S.M: {S.S, S.J, S.U},
    S.S: {S.J, S.U},
    S.J: {S.A, S.U},
}
_OUTGOING = {
    S.R: {S.F, S.U},
    S.F: {S.R, S.G, S.U},
    S.G: {S.R, S.U},
    S.E: {S.J},
    S.J: {S.A},
}
_INTERNAL = {
    S.R: {S.F, S.U},
    S.F: {S.R, S.G, S.J, S.U},
    S.G: {S.R, S.J, S.U},
    S.J: {S.A, S.U},
}

_TRANSITIONS = {T.I: _INCOMING, T.U: _OUTGOING, T.N: _INTERNAL, T.X: _INTERNAL, T.S: _INTERNAL}

INITIAL_STATUSES = {
    T.I: (S.J, {S.M, S.S, S.J}),
    T.U: (S.R, {S.R, S.F}),
    T.N: (S.R, {S.R, S.F, S.J}),
    T.X: (S.R, {S.R, S.F, S.J}),
    T.S: (S.R, {S.R, S.F, S.J}),
}
"""Per type: the default status at registration and the statuses a registration may have."""

BACK_REGISTRATION_STATUSES = {T.I: {S.J, S.A}, T.U: {S.E, S.J, S.A}, T.N: {S.J, S.A},
                              T.X: {S.J, S.A}, T.S: {S.J, S.A}}
"""Back-registration records what already happened on paper, so it may start later."""


def allowed_next(journalposttype: T, journalstatus: S) -> set[S]:
    """The statuses a journalpost may be set to by a status change (E only by ekspedere)."""
    return set(_TRANSITIONS[journalposttype].get(journalstatus, set()))


def may_send(journalposttype: T, journalstatus: S, *, er_vedtak: bool) -> bool:
    """Whether ekspedere may start: outgoing, done, and approved when it is a decision."""
    if journalposttype is not T.U:
        return False
    if er_vedtak:
        return journalstatus is S.G
    return journalstatus in (S.F, S.G)


def send_from(journalposttype: T, *, er_vedtak: bool) -> set[S]:
    """The journalstatuses ekspedere starts from (none for a journalpost that is not outgoing)."""
    return {s for s in S if may_send(journalposttype, s, er_vedtak=er_vedtak)}


def describe(statuses: set[S]) -> str:
    if not statuses:
        return "none (the status is final)"
    return ", ".join(f"{s.kode} ({s.kodenavn})" for s in sorted(statuses, key=lambda s: s.kode))

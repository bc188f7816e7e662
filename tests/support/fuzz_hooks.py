"""schemathesis hooks for the fuzz test: let generated cases and journalposts be registrable.

A case needs an administrativEnhet the journal knows, and no generated UUID is one; with a
unit from the suite (ARKIV5_FUZZ_UNIT) in its place, POST /saksmapper can succeed, and the
stateful phase follows its link on to registration. There, a generated saksbehandler is
dropped for the same reason, and so are the parties' identity numbers (their check
digits are a rule no schema states), an incoming letter gets a date of receipt, and
control characters (which the input policy refuses
before the journal sees the body, and which the hostile-input tests cover) are taken out
of the text, so that some registrations get through to the use case and its database.
Every other operation gets its bodies exactly as generated.
"""

from __future__ import annotations

import os
import re
from typing import Any

import schemathesis

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_CREATING = ("/saksmapper", "/saksmapper/{saksmappe_id}/journalposter")


def _registrable(value: Any, unit: str) -> Any:
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    if isinstance(value, list):
        return [_registrable(item, unit) for item in value]
    if not isinstance(value, dict):
        return value
    fixed = {key: _registrable(item, unit) for key, item in value.items()}
    if isinstance(fixed.get("administrativEnhet"), str):
        fixed["administrativEnhet"] = unit
    if isinstance(fixed.get("saksbehandler"), str):
        fixed["saksbehandler"] = None
    for number in ("foedselsnummer", "organisasjonsnummer"):  # check digits no schema states
        if isinstance(fixed.get(number), str):
            fixed[number] = None
    if fixed.get("journalposttype") == "I" and not fixed.get("mottattDato"):
        fixed["mottattDato"] = "2026-01-02"  # an incoming letter has a date of receipt
    return fixed


@schemathesis.hook
def map_body(context: Any, body: Any) -> Any:
    unit = os.environ.get("ARKIV5_FUZZ_UNIT")
    operation = getattr(context, "operation", None)
    if not unit or operation is None or operation.method.upper() != "POST" or operation.path not in _CREATING:
        return body
    fixed = _registrable(body, unit)
    if isinstance(fixed, dict) and "journalposttype" in fixed:
        fixed.pop("dokumentbeskrivelse", None)  # a JSON registration has no file parts to describe
    for journalpost in (fixed, fixed.get("journalpost") if isinstance(fixed, dict) else None):
        if isinstance(journalpost, dict):
            journalpost.pop("journalstatus", None)  # the starting status follows from the type (the workflow)
    return fixed

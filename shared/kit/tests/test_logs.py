"""Log lines are JSON with service and correlation id, and never carry a fødselsnummer."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator

import pytest

from arkiv5_kit.context import correlation_id_var
from arkiv5_kit.logs import MASK, configure_logging, redact


@pytest.fixture(autouse=True)
def _remove_our_handler() -> Iterator[None]:
    """configure_logging installs a root handler on the captured stdout; take it away after."""
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_arkiv5", False)]:
        root.removeHandler(handler)


def test_redact_masks_eleven_digit_numbers_only() -> None:
    assert redact("fnr 15108612345 and 151086 12345") == f"fnr {MASK} and {MASK}"
    assert redact("orgnr 974760673, saksnr 2026/000123, id 123456789012") == (
        "orgnr 974760673, saksnr 2026/000123, id 123456789012"
    )


def test_json_line_with_correlation_id_and_redaction(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("journal", level="INFO", json_lines=True)
    correlation = uuid.uuid4()
    token = correlation_id_var.set(correlation)
    try:
        logging.getLogger("arkiv5.test").info("registered for %s", "15108612345")
    finally:
        correlation_id_var.reset(token)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["service"] == "journal"
    assert line["correlation_id"] == str(correlation)
    assert line["level"] == "INFO"
    assert "15108612345" not in json.dumps(line)
    assert MASK in line["message"]


def test_tracebacks_are_redacted_too(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("journal", level="INFO", json_lines=True)
    try:
        raise RuntimeError("could not register 15108612345")
    except RuntimeError:
        logging.getLogger("arkiv5.test").exception("failed")
    out = capsys.readouterr().out
    assert "15108612345" not in out
    assert "RuntimeError" in out and MASK in out


def test_plain_lines_keep_the_structured_fields(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("suite", level="INFO", json_lines=False)
    log = logging.getLogger("arkiv5.test")
    log.info("service stopped", extra={"service": "journal"})
    log.warning("dispatch round failed", extra={"error_type": "OperationalError", "reason": "no route to host",
                                                "fnr": "15108612345"})
    first, second = capsys.readouterr().out.strip().splitlines()[-2:]
    assert "[journal]" in first  # the service that stopped, not the process hosting it
    assert second.endswith('error_type=OperationalError reason="no route to host" fnr=' + MASK), second

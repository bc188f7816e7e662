"""One rule for tests that need an outside server or tool: skip on a developer machine, fail in CI.

`ARKIV5_REQUIRE_SERVICES=1` (set by .ci/run and `make test-integration`) turns every such
skip into a failure, so a missing PostgreSQL, Kafka, LibreOffice or veraPDF can never hide
behind a skip where it matters.
"""

from __future__ import annotations

import os

import pytest


def services_required() -> bool:
    return os.environ.get("ARKIV5_REQUIRE_SERVICES", "").lower() in ("1", "true", "yes")


def missing(what: str, *, state: str = "not configured") -> None:
    """Skip the test because `what` is `state` — or fail it when services are required."""
    if services_required():
        pytest.fail(f"{what} is required (ARKIV5_REQUIRE_SERVICES=1) but {state}")
    pytest.skip(f"{what} {state}")

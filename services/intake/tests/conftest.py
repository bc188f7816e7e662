"""Fixtures of the intake tests: a real journal app in-process, intake in front of it, tokens."""

from __future__ import annotations

import sys
from pathlib import Path

# --import-mode=importlib puts no test folder on sys.path; our helpers live next to the tests.
sys.path.insert(0, str(Path(__file__).parent))

from collections.abc import AsyncIterator  # noqa: E402

import pytest  # noqa: E402
from intake_helpers import Wired, wire  # noqa: E402


@pytest.fixture
async def wired(tmp_path: Path) -> AsyncIterator[Wired]:
    async for value in wire(tmp_path):
        yield value

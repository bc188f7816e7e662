"""Settings for the conversion service's own tests: small limits, two listeners, no schedule.

In the package (not a test conftest) so every test module imports the same function however
the test run is laid out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .settings import ConversionSettings


def settings_for_tests(tmp_path: Path, **overrides: Any) -> ConversionSettings:
    values: dict[str, Any] = dict(
        var_dir=tmp_path, environment="test", listeners=2, job_timeout_s=60, max_unzipped_mb=20,
        nightly_enabled=False, poll_interval_s=0.05,
    )
    values.update(overrides)
    return ConversionSettings(**values)

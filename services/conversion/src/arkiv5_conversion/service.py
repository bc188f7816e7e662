"""The conversion service's one object: its layers, each in its own module.

`queueing.JobQueue` (jobs made from what the events told) → `report.MorningReport` (the
morning report and the failure gauge) → `jobs.JobEngine` (claim, convert, finish; the
worker; on demand; re-runs) → `batches.NightlyBatches` (the nightly batch and the batch in
hand). What the journal's events tell is recorded in `consumers`.
"""

from __future__ import annotations

from .batches import NightlyBatches
from .jobs import JobView

__all__ = ["ConversionService", "JobView"]


class ConversionService(NightlyBatches):
    """Conversion jobs: queueing from events, the worker, the nightly batch, re-runs, the morning report."""

"""A small circuit breaker: after N consecutive failures SvarUt is left alone for a while.

Closed → (threshold failures) → open for `reset_s` → half-open: one trial call; success
closes it, failure opens it again. Only "SvarUt is away" failures count (timeouts,
connection errors, 5xx) — a validation refusal is SvarUt working.
"""

from __future__ import annotations

import time


class CircuitOpen(Exception):
    """SvarUt is considered down; the call was not made."""


class CircuitBreaker:
    def __init__(self, *, failure_threshold: int, reset_s: float) -> None:
        self.failure_threshold = failure_threshold
        self.reset_s = reset_s
        self.failures = 0
        self.opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if time.monotonic() - self.opened_at >= self.reset_s else "open"

    def before_call(self) -> None:
        state = self.state
        if state == "open" or (state == "half-open" and self._trial_running):
            raise CircuitOpen("SvarUt circuit is open")
        if state == "half-open":
            self._trial_running = True

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self._trial_running = False

    def failure(self) -> None:
        self.failures += 1
        self._trial_running = False
        if self.opened_at is not None or self.failures >= self.failure_threshold:
            self.opened_at = time.monotonic()

    def neutral(self) -> None:
        """A call that ended without telling whether SvarUt is up (e.g. cancelled)."""
        self._trial_running = False

"""How long a background loop sleeps when it found nothing to do: longer each time, up to a cap.

The relay, the consumers and the conversion queue are woken at once by what gives them work
in this process (a commit that wrote to the outbox, a publish on the embedded bus, a queued
job). Their polls only catch what no wake announces — another process's rows, an expired
lease — so a loop that keeps finding nothing has no reason to look four times a second: on
the embedded default a dozen such loops cost the idle suite ~0.1 s of CPU per second, a cost
paid under load too. The first poll after work is as prompt as before.
"""

from __future__ import annotations


class IdleBackoff:
    """The next idle sleep: `first_s`, doubled after every empty round up to `max_s`; `reset` on work."""

    def __init__(self, first_s: float, max_s: float) -> None:
        self.first_s = first_s
        self.max_s = max(first_s, max_s)
        self._next_s = first_s

    def reset(self) -> None:
        self._next_s = self.first_s

    def next_s(self) -> float:
        """The sleep for this empty round; the following one is twice as long (within the cap)."""
        seconds = self._next_s
        self._next_s = min(self.max_s, seconds * 2)
        return seconds

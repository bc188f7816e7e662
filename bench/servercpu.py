"""Server CPU per operation: the figure a shared, loaded machine does not blur.

Wall-clock throughput on two busy cores says as much about the neighbours as about the
code; the CPU time the server processes spend per operation does not. This reads each
server's user + system time from /proc/<pid>/stat (with that of its children), and a
`Meter` turns a phase of a benchmark into milliseconds of server CPU per operation:

    meter = Meter([process.pid for process in servers])
    await meter.idle()         # the servers' own idle rate (timers, relays)
    phase = meter.start()
    ...                        # drive the load
    await phase.drained()      # the work that drains after the run (the outbox, queues) counts too
    phase.ms_per(operations)

"Net of idle": the idle rate measured before the phase times the phase's length is
subtracted, so a relay's poll does not count as registration cost.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process, its threads, its waited-for children and its live children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # After the command: state ppid … utime(14) stime(15) cutime(16) cstime(17), counted from 1 with pid, comm.
    own = sum(int(value) for value in fields[11:15]) / _TICKS
    return own + sum(_child_cpu_seconds(child) for child in _children(pid))


def _child_cpu_seconds(pid: int) -> float:
    """A live child's CPU; one that exited between listing and reading counts in its parent's cutime once waited."""
    try:
        return cpu_seconds(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # the thread ended, or the kernel does not list children
            continue
    return children


def total(pids: Sequence[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


class Phase:
    """One measured stretch of load: CPU and wall time from its start to when it drained."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.cpu_start, self.wall_start = total(meter.pids), time.monotonic()
        self.cpu_end, self.wall_end = self.cpu_start, self.wall_start

    async def drained(self, *, quiet_s: float = 0.5, timeout_s: float = 30.0) -> None:
        """Wait until the servers are back to their idle rate (the outbox relayed, the queues empty)."""
        deadline = time.monotonic() + timeout_s
        before = total(self.meter.pids)
        while time.monotonic() < deadline:
            await asyncio.sleep(quiet_s)
            now = total(self.meter.pids)
            if now - before <= quiet_s * self.meter.idle_rate + 2 / _TICKS:
                break
            before = now
        self.cpu_end, self.wall_end = total(self.meter.pids), time.monotonic()

    @property
    def cpu_s(self) -> float:
        """The phase's server CPU seconds, net of the idle rate over its length."""
        return max(0.0, self.cpu_end - self.cpu_start - self.meter.idle_rate * (self.wall_end - self.wall_start))

    def ms_per(self, operations: int) -> float:
        return self.cpu_s * 1000 / operations


class Meter:
    """Server CPU of a set of processes (the service replicas of one benchmark)."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)
        self.idle_rate = 0.0

    async def idle(self, seconds: float = 2.0) -> float:
        """Measure the servers' CPU seconds per second with no load; subtracted from every phase."""
        start, began = total(self.pids), time.monotonic()
        await asyncio.sleep(seconds)
        self.idle_rate = (total(self.pids) - start) / (time.monotonic() - began)
        return self.idle_rate

    def start(self) -> Phase:
        return Phase(self)


def machine_line() -> str:
    """Cores and load average: every figure is read against them."""
    one, five, _fifteen = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {one:.1f} (5 min {five:.1f})"


def _busy_and_waiting() -> tuple[float, float | None]:
    """The machine's busy CPU seconds so far (all cores), and the seconds some task waited for a core (PSI)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    # user nice system idle iowait irq softirq steal …: busy is all but idle and iowait (guest is in user).
    busy = (sum(fields[:8]) - fields[3] - fields[4]) / _TICKS
    try:
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        waiting: float | None = int(some.rpartition("total=")[2]) / 1e6
    except (OSError, ValueError):  # no pressure stall information on this kernel
        waiting = None
    return busy, waiting


class MachineWindow:
    """How busy the whole machine was over a stretch: whether the cores were full, and with whose work.

    A rate far below what the CPU per operation allows means either that something waits (the
    cores stay partly idle) or that the machine's other work took the cores; the load average
    cannot tell them apart, this can.
    """

    def __init__(self) -> None:
        self.began = time.monotonic()
        self.busy, self.waiting = _busy_and_waiting()
        self.cores_busy = 0.0
        self.waiting_share: float | None = None
        self.wall_s = 0.0

    def end(self) -> MachineWindow:
        busy, waiting = _busy_and_waiting()
        self.wall_s = max(1e-9, time.monotonic() - self.began)
        self.cores_busy = (busy - self.busy) / self.wall_s
        if waiting is not None and self.waiting is not None:
            self.waiting_share = (waiting - self.waiting) / self.wall_s
        return self

    def line(self, ours_cpu_s: float) -> str:
        """`ours_cpu_s`: the CPU seconds the measured processes spent in the window."""
        ours = ours_cpu_s / self.wall_s
        line = (f"machine over {self.wall_s:.1f} s: {self.cores_busy:.2f} of {os.cpu_count()} cores busy "
                f"({ours:.2f} ours, {max(0.0, self.cores_busy - ours):.2f} the rest)")
        if self.waiting_share is not None:
            line += f", some task waiting for a core {self.waiting_share:.0%} of the time"
        return line

"""How long the one-process suite takes to stop once its services idle: wall and CPU.

`bench/bench_suite_stop.py [rounds]` starts the suite of `make run` (embedded bus, SQLite) in
a fresh var folder, lets it idle a second, stops it, and prints the wall and CPU time of
the stop. With ``ARKIV5_BENCH_BASELINE_PYTHON=<another checkout>/.venv/bin/python`` that
checkout's code is measured too, alternating round by round. The first stop of a process
is reported apart: later ones reuse what the first loaded.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


async def one_stop() -> dict[str, float]:
    from arkiv5_suite.app import create_suite_app

    with tempfile.TemporaryDirectory(prefix="arkiv5-stop-") as var_dir:
        app = create_suite_app(Path(var_dir))
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        await asyncio.sleep(1.0)  # every consumer now waits in its fetch, every relay in its poll
        wall, cpu = time.perf_counter(), time.process_time()
        await lifespan.__aexit__(None, None, None)
        return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def measure_in(python: str) -> dict[str, float]:
    """One stop in a fresh process of `python` (so each round is a first stop)."""
    done = subprocess.run([python, __file__, "--one"], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    if sys.argv[1:] == ["--one"]:
        print(json.dumps(asyncio.run(one_stop())))
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    pythons = {"now": sys.executable}
    if baseline := os.environ.get("ARKIV5_BENCH_BASELINE_PYTHON"):
        pythons["baseline"] = baseline
    print(f"cpu_count: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at the start")
    for n in range(rounds):
        for label, python in pythons.items():
            figures = measure_in(python)
            print(f"round {n + 1} {label:>8}: stop wall {figures['wall_s']:.2f} s, CPU {figures['cpu_s']:.2f} s")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()

"""`make bench`: run every bench/bench_*.py in turn and print their figures.

Each benchmark is a standalone script that prints a markdown table; this runner prints the
machine's figures first (cores matter: every target is stated for 2 cores) and hands the
scripts where PostgreSQL and Kafka are.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-state-dir", type=Path, default=Path(".cache/postgres"))
    parser.add_argument("--kafka-state-dir", type=Path, default=Path(".cache/kafka"))
    parser.add_argument("only", nargs="*", help="run only these (e.g. platform policy)")
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault(
        "ARKIV5_BENCH_POSTGRES_URL",
        subprocess.check_output(
            [sys.executable, str(ROOT / "scripts/postgres_local.py"), "url", "--state-dir", str(args.pg_state_dir)],
            text=True,
        ).strip(),
    )
    env.setdefault("ARKIV5_BENCH_KAFKA_BOOTSTRAP", (args.kafka_state_dir / "bootstrap").read_text().strip())

    print(f"# Arkiv5 benchmarks — {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}, "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    failed = 0
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if args.only and name not in args.only:
            continue
        print(f"\n## {name}\n", flush=True)
        failed += subprocess.call([sys.executable, str(script)], env=env, cwd=ROOT) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

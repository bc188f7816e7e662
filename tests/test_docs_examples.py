"""The docs run: every shell block in README.md and docs/*.md is executed against a running
suite, or says on the line before its fence why it cannot be
(`<!-- docs-test: not-runnable — <reason> -->`).

One suite serves every file, started as `make run` starts it (`arkiv5 run`, the demo
municipality seeded) on 127.0.0.1 and a free port. Each file's blocks run in order in one
bash session (`set -euo pipefail`), so what an earlier block sets (`TOKEN=…`, `CASE=…`) is
there for the later ones; the docs' `127.0.0.1:8000` (or `localhost:8000`) is the only thing
replaced, by the suite's address. The session runs in a folder of its own, as the project
folder would be: `docs/` is there (the sample files in `docs/examples/`), the suite's data is
in `var/`, and `uv run` finds the project. Two sessions run at a time, the file that waits
(operations.md sleeps out a signing key's publish-ahead minute) first, so that the others run
while it waits. `curl` answers an HTTP error with a failure
(`--fail-with-body`) unless the command prints the status itself (`-w '%{http_code}'`), so a
401 cannot pass as an exit 0. Where a block shows an answer in a `# ->` comment, the keys
it names (or the line's text, when it is no JSON: a status code, a word) must be in what the
block printed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from docs_blocks import Block, Outcome, outcomes, session_script, shell_blocks

from processes import CLEAN_EXIT, GENEROUS_S, free_port, get, wait_until_up
from project import ROOT

# The decisions (docs/adr) hold no shell block today; one added there is run like the others.
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs" / "adr").glob("*.md"))]
SESSION_TIMEOUT_S = 300

# An HTTP error fails the command, as a reader would notice it; a command that prints the
# status itself (the docs show a refusal that way) is left as written.
PRELUDE = """\
curl() {
  case " $* " in
    *http_code*) command curl "$@"; return ;;
  esac
  local body rc=0
  body=$(mktemp)
  command curl --fail-with-body "$@" > "$body" || rc=$?
  cat "$body"
  if [ "$rc" -ne 0 ]; then
    printf '\\ncurl failed (exit %s), the answer: %s\\n' "$rc" "$(head -c 2000 "$body")" >&2
  fi
  rm -f "$body"
  return "$rc"
}
"""


SERVICES = ("access", "journal", "conversion", "svarut-gateway", "intake")
BACKLOG = re.compile(r"^arkiv5_(?:outbox_backlog|consumer_lag)\{[^}]*\} (\S+)$", re.M)


def wait_until_settled(base: str, timeout_s: float = GENEROUS_S) -> None:
    """Until every outbox is empty and every consumer has caught up — the journal's read model
    of the demo's rights included — as they are by the time a person has read the page."""
    deadline = time.monotonic() + timeout_s
    while True:
        scrapes = {service: get(f"{base}/{service}/metrics")[1] for service in SERVICES}
        values = [float(v) for text in scrapes.values() for v in BACKLOG.findall(text)]
        read_model = 'consumer="access-read-model"' in scrapes["journal"]
        if read_model and values and not any(values):
            return
        assert time.monotonic() < deadline, f"the suite did not settle: {values}"
        time.sleep(0.5)


def _documented(path: Path) -> list[Block]:
    return shell_blocks(path)


@pytest.fixture(scope="module")
def docs_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The suite as `make run` serves it, and the folder the docs' sessions run in."""
    folder = tmp_path_factory.mktemp("docs-session")
    (folder / "docs").symlink_to(ROOT / "docs")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(folder / "suite.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "arkiv5_suite.cli", "run", "--host", "127.0.0.1", "--port", str(port),
             "--var-dir", str(folder / "var")],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            for service in SERVICES:
                wait_until_up(f"{base}/{service}/healthz/ready", process)
            yield base, folder
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=GENEROUS_S)
    assert code in CLEAN_EXIT, (folder / "suite.log").read_text()[-4000:]


def test_every_shell_block_is_found_and_every_marker_gives_a_reason() -> None:
    blocks = [block for path in DOC_FILES for block in _documented(path)]
    assert len(blocks) >= 50, "the docs' shell blocks were not found"
    without_reason = [b.where for b in blocks if b.marker is not None and not b.reason]
    assert not without_reason, f"a not-runnable marker needs a reason: {without_reason}"
    runnable = [b for b in blocks if b.runnable]
    assert len(runnable) > len(blocks) / 2, "most of the docs' examples must run"


def expected_in(block: Block) -> list[str]:
    """What a block's `# -> …` comments promise: the JSON keys they name, or the text itself
    when it is no JSON (a status code, a word)."""
    wanted: list[str] = []
    for line in block.text.splitlines():
        comment = line.strip()
        if not comment.startswith("# ->"):
            continue
        shown = comment[4:].strip()
        if any(c in shown for c in '{["'):
            wanted += [f'"{key}"' for key in re.findall(r'"([A-Za-z_][\w.]*)"\s*:', shown)]
        elif shown:
            wanted.append(shown)  # a status code or a word, printed as it is
    return list(dict.fromkeys(wanted))


def run_session(path: Path, base: str, folder: Path) -> tuple[list[Outcome], str]:
    blocks = _documented(path)
    script = session_script(blocks, base, PRELUDE)
    env = {**os.environ, "UV_PROJECT": str(ROOT), "UV_FROZEN": "1"}
    result = subprocess.run(["bash", "-c", script], cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=SESSION_TIMEOUT_S, check=False)
    return outcomes(blocks, result.stdout), result.stdout


RUNNABLE_FILES = [p for p in DOC_FILES if _documented(p)]


@pytest.fixture(scope="module")
def docs_sessions(docs_suite: tuple[str, Path]) -> Iterator[dict[Path, Future[tuple[list[Outcome], str]]]]:
    """Every file's session, two at a time on the one suite, the ones that sleep first."""
    base, folder = docs_suite
    wait_until_settled(base)
    order = sorted(RUNNABLE_FILES, key=lambda p: "sleep " not in p.read_text(encoding="utf-8"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {path: pool.submit(run_session, path, base, folder) for path in order}


@pytest.mark.parametrize("path", RUNNABLE_FILES, ids=lambda p: p.name)
def test_the_docs_shell_blocks_run(path: Path, docs_sessions: dict[Path, Future[tuple[list[Outcome], str]]]) -> None:
    results, output = docs_sessions[path].result()
    for outcome in results:
        where = f"{path.relative_to(ROOT)}:{outcome.block.line}"
        assert outcome.ran, f"{where} did not run (an earlier block stopped the session):\n{output[-3000:]}"
        assert outcome.ok, f"{where} failed; what it printed:\n{outcome.output[-3000:]}"
        missing = [want for want in expected_in(outcome.block) if want not in outcome.output]
        assert not missing, f"{where} does not answer what its `# ->` comment shows: {missing}\n{outcome.output[-2000:]}"


def test_blocks_markers_and_expected_answers_are_read_as_documented(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```sh\necho one\n# -> {\"job_id\": \"…\", \"status\": \"done\"}\n# -> 400\n# -> passwd\n```\n"
        "<!-- docs-test: not-runnable — needs a Kubernetes cluster -->\n```bash\nkubectl apply -k deploy\n```\n"
        "<!-- docs-test: not-runnable -->\n```shell\nmake run\n```\n"
        "```console\n$ echo two \\\n  three\ntwo three\n```\n```python\nprint()\n```\n")
    first, marked, bare, console = shell_blocks(doc)
    assert (first.line, first.runnable, marked.reason, bare.reason) == (1, True, "needs a Kubernetes cluster", "")
    assert not marked.runnable and not bare.runnable
    assert console.script() == "echo two \\\n  three\n"
    assert expected_in(first) == ['"job_id"', '"status"', "400", "passwd"]
    script = session_script([first, marked], "http://127.0.0.1:5555")
    assert "kubectl" not in script
    printed = "\n@@docs-block 1 start@@\none\n@@docs-block 1 end@@\n"
    assert [(o.ok, o.output) for o in outcomes([first, marked], printed)] == [(True, "one")]

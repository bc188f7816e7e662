"""The shell blocks of the project's Markdown docs, as the docs test runs them.

A fenced block whose info string is `sh`, `bash`, `shell` or `console` is a shell block. It is
either run by tests/test_docs_examples.py against a running suite, or carries on the line just
before its fence a marker saying why it cannot be:

    <!-- docs-test: not-runnable — needs a Kubernetes cluster -->

A `console` block shows a session: its commands are the lines starting with `$ ` (a line
ending in a backslash continues on the next), the rest is output and is not run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SHELL_LANGUAGES = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<info>[\w+-]*)")
MARKER = re.compile(r"<!--\s*docs-test:\s*not-runnable\s*(?:[—–-]+\s*(?P<reason>.*?))?\s*-->")
ANY_MARKER = re.compile(r"<!--\s*docs-test:")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    text: str  # the block's lines, the fence's indentation removed
    marker: str | None  # the marker line before the fence, if any
    reason: str | None  # the marker's reason ("" when the marker has none)

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"

    @property
    def runnable(self) -> bool:
        return self.marker is None

    def script(self) -> str:
        """What bash runs: the block as it is, or a console block's `$ ` commands."""
        if self.language != "console":
            return self.text
        commands: list[str] = []
        continuing = False
        for line in self.text.splitlines():
            if continuing:
                commands.append(line)
            elif line.startswith("$ "):
                commands.append(line[2:])
            else:
                continue
            continuing = line.rstrip().endswith("\\")
        return "\n".join(commands) + "\n"


def shell_blocks(path: Path) -> list[Block]:
    """Every shell block of one Markdown file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence, indent, language = opening["fence"], len(opening["indent"]), opening["info"].lower()
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            body.append(lines[end][indent:] if lines[end][:indent].strip() == "" else lines[end])
            end += 1
        if language in SHELL_LANGUAGES:
            before = lines[index - 1].strip() if index > 0 else ""
            marker = before if ANY_MARKER.search(before) else None
            found = MARKER.search(before) if marker else None
            reason = (found["reason"] or "").strip() if found else ("" if marker else None)
            blocks.append(Block(path, index + 1, language, "\n".join(body) + "\n", marker, reason))
        index = end + 1
    return blocks


DOCS_PORT = re.compile(r"\b(?:127\.0\.0\.1|localhost):8000\b")
START, END = "@@docs-block {} start@@", "@@docs-block {} end@@"


@dataclass
class Outcome:
    block: Block
    ran: bool  # the block started
    ok: bool  # it ran to its end
    output: str  # what it printed (stdout and stderr)


def session_script(blocks: list[Block], base_url: str, prelude: str = "") -> str:
    """One bash session running the runnable blocks in order, each between two marker lines,
    the docs' `127.0.0.1:8000` (or `localhost:8000`) replaced by `base_url`'s host and port."""
    host_port = base_url.split("://", 1)[1].rstrip("/")
    parts = ["set -euo pipefail", prelude]
    for block in blocks:
        if not block.runnable:
            continue
        parts += [f"printf '\\n%s\\n' '{START.format(block.line)}'",
                  DOCS_PORT.sub(host_port, block.script()),
                  f"printf '\\n%s\\n' '{END.format(block.line)}'"]
    return "\n".join(parts) + "\n"


def outcomes(blocks: list[Block], output: str) -> list[Outcome]:
    """Each runnable block's outcome, read from the session's output."""
    results: list[Outcome] = []
    for block in blocks:
        if not block.runnable:
            continue
        start, end = START.format(block.line), END.format(block.line)
        ran = start in output
        text = output.split(start, 1)[1].split(end, 1)[0] if ran else ""
        results.append(Outcome(block, ran, ran and end in output, text.strip("\n")))
    return results

"""The journal's inner shape holds: floors, no import circle, no SQL in the entry points, modules of a readable size.

Floors, lowest first (a module imports from its own floor or below, never up):

0. errors, context, settings, models, schemas, domain/, sniffing, blobstore — no I/O rules
1. store/ — the queries and writers
2. authz/, visibility — who may do what, and what a caller may see
3. use cases — arkivstruktur/, saksmappe/, journalpost/, dokument/, ekspedering/, rapporter/,
   corrections, search, idempotency, formdata, blobsweep
4. entry points — api/, consumers, app, __main__

Within floor 3 the use-case packages form a fixed order, written down in `USE_CASES`: each
names the other use cases it may import (sending uses the journalpost's status change and the
documents' choice, and correcting a recipient the corrections' ETag and patch parsing; a correction reuses the saksmappe's title rules). A new edge is a decision
to record here, not an accident.

`KNOWN` lists the few imports that still run up a floor, each a piece of work left; the
test fails if a new one appears, and also when one on the list is gone (so the list shrinks).
"""

from __future__ import annotations

import ast
from pathlib import Path

import arkiv5_journal

ROOT = Path(arkiv5_journal.__file__).parent
PACKAGE = "arkiv5_journal"

FLOORS = [
    ("errors", "context", "settings", "models", "schemas", "domain", "sniffing", "blobstore"),
    ("store",),
    ("authz", "visibility", "masking"),
    ("arkivstruktur", "saksmappe", "journalpost", "dokument", "ekspedering", "rapporter",
     "corrections", "search", "idempotency", "formdata", "blobsweep", "tilgangsgrupper", "uttrekk",
     "migrering"),
    ("api", "consumers", "app", "__main__", "__init__", "noark5"),
]

# Imports that still go up a floor (none left: the search index and its queries are the store's).
KNOWN: set[tuple[str, str]] = set()
# Each use case and the other use cases it may import (floor 3 among itself).
USE_CASES: dict[str, set[str]] = {
    "arkivstruktur": set(),
    "saksmappe": {"arkivstruktur"},
    "journalpost": {"search"},
    "dokument": set(),
    "ekspedering": {"journalpost", "dokument", "corrections", "search"},
    "rapporter": set(),
    "corrections": {"saksmappe", "search"},
    "search": set(),
    "idempotency": set(),
    "formdata": set(),
    "blobsweep": set(),
    "tilgangsgrupper": set(),
    "uttrekk": set(),
    "migrering": {"uttrekk"},  # validates an extraction before importing it
}
# The catch-all modules the use-case packages replaced; they do not come back.
GONE = {"service", "documents", "reports", "internal"}
LARGE = {"schemas": 420, "models": 448}  # to split per resource (schemas) and per use case (models)
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] == "migrations":
            continue
        name = ".".join(relative.with_suffix("").parts)
        found[name.removesuffix(".__init__") or "__init__"] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    """The journal modules `name` imports at module level (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    result = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            elif node.module and node.module.startswith(PACKAGE + "."):
                target = node.module.removeprefix(PACKAGE + ".")
            else:
                continue
            candidates = [f"{target}.{alias.name}".strip(".") for alias in node.names] + [target]
            result.update(c for c in candidates if c in MODULES)
    result.discard(name)
    return result


MODULES = _modules()
GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _floor(name: str) -> int:
    top = name.split(".")[0]
    for level, names in enumerate(FLOORS):
        if top in names:
            return level
    raise AssertionError(f"{name} is on no floor: add it to FLOORS in this test and to the module map")


def test_no_import_runs_up_a_floor() -> None:
    upward = {(name, target) for name, targets in GRAPH.items() for target in targets
              if _floor(target) > _floor(name)}
    assert upward - KNOWN == set(), f"new imports up a floor: {sorted(upward - KNOWN)}"
    assert KNOWN - upward == set(), f"gone (remove from KNOWN): {sorted(KNOWN - upward)}"


def test_no_import_circle() -> None:
    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            raise AssertionError("import circle: " + " -> ".join([*trail[trail.index(name):], name]))
        for target in sorted(GRAPH[name]):
            # A package imports its own modules; that is not a circle of the layout.
            if not target.startswith(name + ".") and target in GRAPH:
                visit(target, [*trail, name])

    for module in sorted(GRAPH):
        visit(module, [])


def test_entry_points_do_not_query() -> None:
    offenders = [f"{name}: {word}" for name, path in MODULES.items() if name.startswith("api")
                 for word in ("select(", "text(") if word in path.read_text()]
    assert offenders == []


def test_registration_knows_nothing_of_http() -> None:
    for name in ("journalpost.register", "journalpost.commands"):
        assert not {t for t in GRAPH[name] if t.split(".")[0] in ("schemas", "api")}, name


def test_modules_stay_readable() -> None:
    too_long = {name: lines for name, path in MODULES.items()
                if (lines := len(path.read_text().splitlines())) > LARGE.get(name, MAX_LINES)}
    assert too_long == {}


def test_use_cases_import_only_their_listed_neighbours() -> None:
    assert set(USE_CASES) == set(FLOORS[3]), "every use case (floor 3) has an entry in USE_CASES"
    unlisted = {(name, target) for name, targets in GRAPH.items() for target in targets
                if _floor(name) == 3 and _floor(target) == 3 and target.split(".")[0] != name.split(".")[0]
                and target.split(".")[0] not in USE_CASES[name.split(".")[0]]}
    assert unlisted == set(), f"use case imports not in USE_CASES: {sorted(unlisted)}"


def test_catch_all_modules_stay_gone() -> None:
    assert GONE & set(MODULES) == set()

"""Reference files from outside sources, read from a folder beside the project, never committed.

Official schemas, KS's API files, test messages and the document corpus are other people's
data. The project keeps only a manifest of them (`reference_manifest.tsv` beside this
module: path, SHA-256, where to get it) and reads the files from the reference folder:
`ARKIV5_REFERENCE_DIR`, by default `../shared/reference` seen from the working directory
(the project's root when run from a clone). A caller that needs a missing or altered file
gets `ReferenceFileMissing` naming the file and where to get it; code that does not need
the file keeps working.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

ENVIRONMENT_VARIABLE = "ARKIV5_REFERENCE_DIR"
DEFAULT_DIR = Path("..") / "shared" / "reference"


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    sha256: str
    source: str


class ReferenceFileMissing(RuntimeError):
    """A reference file the caller needs is not in the reference folder, or is not the expected one."""


def reference_dir() -> Path:
    return Path(os.environ.get(ENVIRONMENT_VARIABLE) or DEFAULT_DIR).resolve()


@cache
def manifest() -> dict[str, ManifestEntry]:
    """The manifest, keyed by path relative to the reference folder."""
    text = resources.files(__package__).joinpath("reference_manifest.tsv").read_text(encoding="utf-8")
    entries: dict[str, ManifestEntry] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        path, sha256, source = line.split("\t", 2)
        entries[path] = ManifestEntry(path=path, sha256=sha256, source=source)
    return entries


def reference_file(path: str, *, verify: bool = True) -> Path:
    """The reference file at `path` (relative to the reference folder), checked against the manifest."""
    entry = manifest().get(path)
    if entry is None:
        raise ReferenceFileMissing(f"{path} is not in the reference manifest")
    located = reference_dir() / path
    if not located.is_file():
        raise ReferenceFileMissing(
            f"reference file {path} not found in {reference_dir()} (set {ENVIRONMENT_VARIABLE}); get it from {entry.source}"
        )
    if verify and _sha256(located) != entry.sha256:
        raise ReferenceFileMissing(f"reference file {path} differs from the manifest's SHA-256; get it from {entry.source}")
    return located


def check_all() -> list[str]:
    """Every problem with the reference folder against the manifest (empty when all is well)."""
    problems = []
    for path in sorted(manifest()):
        try:
            reference_file(path)
        except ReferenceFileMissing as problem:
            problems.append(str(problem))
    return problems


@cache
def _sha256_cached(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    stat = path.stat()
    return _sha256_cached(path, stat.st_size, stat.st_mtime_ns)


def main() -> int:
    """`python -m arkiv5_kit.reference`: verify the reference folder against the manifest."""
    problems = check_all()
    for problem in problems:
        print(problem)
    print(f"{len(manifest()) - len(problems)} of {len(manifest())} reference files present and verified in {reference_dir()}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

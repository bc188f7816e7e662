#!/usr/bin/env python3
"""Fetch veraPDF, the full PDF/A validator, from Maven Central into a local cache.

The conversion service validates every PDF/A it makes (and decides whether an existing
PDF/A may be kept as it is) with veraPDF when it is there. veraPDF publishes its
command-line application as an ordinary jar on Maven Central, so this script needs
only a JDK (17) and Maven — no installer, no download from anywhere else.

    python3 scripts/verapdf.py fetch      # once; idempotent and offline afterwards
    python3 scripts/verapdf.py path       # print the jar directory the service uses
    python3 scripts/verapdf.py check FILE.pdf  # validate one file (PDF/A-2b by auto-detection)

The cache is `$ARKIV5_CACHE_DIR` or `~/.cache/arkiv5`, in `verapdf-<version>/libs`: the
same place the conversion service looks by default (`CONVERSION_VERAPDF_CLASSPATH`
overrides it). Standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

VERAPDF_VERSION = "1.28.2"
# The greenfield application jar carries veraPDF's own PDF parser, the validation model
# and profiles, and the CLI (org.verapdf.apps.GreenfieldCliWrapper).
POM = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Not a build: a dependency manifest for `mvn dependency:copy-dependencies`. -->
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>no.arkiv5.dev</groupId>
  <artifactId>arkiv5-verapdf</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.verapdf.apps</groupId>
      <artifactId>greenfield-apps</artifactId>
      <version>{VERAPDF_VERSION}</version>
    </dependency>
  </dependencies>
</project>
"""
MAIN_CLASS = "org.verapdf.apps.GreenfieldCliWrapper"


class FetchError(RuntimeError):
    """veraPDF could not be fetched."""


def default_cache_dir() -> Path:
    root = os.environ.get("ARKIV5_CACHE_DIR") or Path.home() / ".cache" / "arkiv5"
    return Path(root).expanduser() / f"verapdf-{VERAPDF_VERSION}"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def fetch(cache_dir: Path | None = None, *, quiet: bool = False) -> Path:
    """Make sure the veraPDF jars are in the cache; return the jar directory."""
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    libs = cache / "libs"
    marker = cache / ".fetched"
    digest = hashlib.sha256(POM.encode()).hexdigest()

    def complete() -> bool:
        return marker.is_file() and marker.read_text().strip() == digest

    if complete():
        return libs
    with _file_lock(cache / ".lock"):
        if complete():
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise FetchError("Maven ('mvn') is needed to fetch veraPDF; install it first")
        if not quiet:
            print(f"Fetching veraPDF {VERAPDF_VERSION} into {libs} ...", flush=True)
        partial = cache / "libs.partial"
        shutil.rmtree(partial, ignore_errors=True)
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as scratch:
            pom = Path(scratch) / "pom.xml"
            pom.write_text(POM, encoding="utf-8")
            result = subprocess.run(
                [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
                 "-DincludeScope=runtime", f"-DoutputDirectory={partial}"],
                stdin=subprocess.DEVNULL, capture_output=True, text=True,
            )
        if result.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            raise FetchError(f"mvn dependency:copy-dependencies failed (exit {result.returncode}):\n"
                             + (result.stdout + result.stderr)[-4000:])
        if not any(partial.glob(f"greenfield-apps-{VERAPDF_VERSION}.jar")):
            raise FetchError(f"Maven finished but greenfield-apps-{VERAPDF_VERSION}.jar is not in {partial}")
        shutil.rmtree(libs, ignore_errors=True)
        partial.rename(libs)
        marker.write_text(digest + "\n")
        if not quiet:
            print(f"Fetched {len(list(libs.glob('*.jar')))} jars in {time.monotonic() - started:.1f}s", flush=True)
    return libs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("fetch", "path"):
        sub.add_parser(name).add_argument("--cache-dir", type=Path, default=None)
    check = sub.add_parser("check")
    check.add_argument("file", type=Path)
    check.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            fetch(args.cache_dir)
            return 0
        if args.command == "path":
            cache = args.cache_dir or default_cache_dir()
            print(cache / "libs")
            return 0 if (cache / ".fetched").is_file() else 3
        libs = fetch(args.cache_dir, quiet=True)
        java = shutil.which("java") or "java"
        return subprocess.call([java, "-cp", f"{libs}/*", MAIN_CLASS, "--format", "text", "-f", "0",
                                "-df", "2b", str(args.file)])
    except FetchError as exc:
        print(exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

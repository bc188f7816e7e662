"""Benchmark: office documents per minute with the persistent LibreOffice listener pool versus a
cold ``soffice --convert-to`` per document, in the same run, per document type; and peak memory.

Run: ``uv run python bench/bench_conversion.py [documents_per_type] [--corpus]`` (default 20;
``--corpus``: only the real-corpus comparison).

* **real corpus** — every office file of the conversion corpus (the reference folder's
  ``conversion-corpus/``: DOC/DOCX/ODT/RTF/HTML/XLS/XLSX/XLSB/ODS/PPT/PPTX/ODP, password-protected
  ones left out, as the service refuses them before LibreOffice), once through the pool and once
  cold, in the same run: files/min of each, the ratio, and how many files crashed a listener (the
  pool's time includes the retry and the one-shot converter; the replacement starts in the
  background while a started spare listener takes the jobs), peak memory, cores and load average.
  Both sides export with the same options (PDF/A-2, tagged, no notes), import filter and fonts, and
  run at the same OS priority (the service's listeners run niced; here they do not, as cold does not).
  Skipped when the reference folder is missing.

* **pool** — ``arkiv5_conversion``'s ``ListenerPool`` (one listener per core, UNO over a pipe),
  fed by as many concurrent workers as listeners; PDF/A-2b export, as the service does it.
* **cold** — what a naive converter does: one ``soffice --headless --convert-to
  pdf:<filter>:{"SelectPdfVersion":...,"UseTaggedPDF":...}`` process per document, as many in parallel as cores
  (each with its own profile, since one profile cannot be shared by two soffice processes).
* **peak memory** — the highest summed RSS of the listener process trees while the pool ran.
* **veraPDF** — validating the pool's PDF/A files with one long-lived veraPDF process (server
  mode, as the service runs it) versus a JVM per file, and the JVM's start-up and peak RSS
  (skipped when veraPDF is not fetched: ``python3 scripts/verapdf.py fetch``).

Target: pool ≥ 10× cold over office documents on 2 cores. Needs LibreOffice and python3-uno.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "services" / "conversion" / "tests"))

import corpus  # noqa: E402

from arkiv5_conversion.engine.listeners import ListenerPool, libreoffice_available, office_environment  # noqa: E402
from arkiv5_conversion.engine.verapdf import MAIN_CLASS, VeraPdf, default_classpath, verapdf_available  # noqa: E402

TYPES = {
    "docx": ("docx", corpus.docx, "writer_pdf_Export"),
    "docx-40p": ("docx", lambda: corpus.docx(40), "writer_pdf_Export"),
    "odt": ("odt", corpus.odt, "writer_pdf_Export"),
    "rtf": ("rtf", corpus.rtf, "writer_pdf_Export"),
    "xlsx": ("xlsx", corpus.xlsx, "calc_pdf_Export"),
    "pptx": ("pptx", corpus.pptx, "impress_pdf_Export"),
}


def _rss_tree_mb(pids: list[int]) -> float:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(stat[1]), []).append(pid)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1])
    total, stack = 0, list(pids)
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total / 1024


class PeakMemory:
    """The largest RSS the listeners' process trees reached together, in MB."""

    def __init__(self) -> None:
        self.mb = 0.0


# The service starts its listeners CONVERSION_TOOL_NICENESS (10) steps below itself so that requests come
# first; the cold soffice processes here run at the benchmark's own priority. On a machine that other
# work shares, niced listeners would get a fraction of a core against the cold processes' full share,
# and the comparison would measure the scheduler, not the pool: both sides run at the same priority.
SAME_PRIORITY_AS_COLD = 0


@contextlib.asynccontextmanager
async def started_pool(cores: int) -> AsyncIterator[tuple[ListenerPool, PeakMemory]]:
    """A pool of `cores` listeners and one spare, started before any timing (the cold path's profile
    is warmed up too: starting is counted on neither side), its memory sampled until it is closed."""
    pool = ListenerPool(cores, soffice="soffice", python="/usr/bin/python3", memory_mb=4096, restart_after=100,
                        niceness=SAME_PRIORITY_AS_COLD)
    await pool.warm_up()
    peak = PeakMemory()
    sampling = True

    async def sample() -> None:
        while sampling:
            pids = [lst.process.pid for lst in pool.listeners if lst.process is not None]
            peak.mb = max(peak.mb, _rss_tree_mb(pids))
            await asyncio.sleep(0.1)

    sampler = asyncio.create_task(sample())
    try:
        yield pool, peak
    finally:
        sampling = False
        await sampler
        await pool.close()


async def run_pool(pool: ListenerPool, files: list[Path], out: Path, workers: int) -> tuple[float, list[float]]:
    queue: asyncio.Queue[Path] = asyncio.Queue()
    for f in files:
        queue.put_nowait(f)
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            f = queue.get_nowait()
            t = time.perf_counter()
            answer = await pool.convert(
                {"op": "convert", "src": str(f), "dst": str(out / (f.stem + ".pdf")), "pdfa": 2}, 120
            )
            assert answer.ok, answer.reason
            latencies.append(time.perf_counter() - t)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.perf_counter() - started, latencies


# The pool's PDF/A export options (uno_driver.convert), so that cold soffice does the same work.
COLD_OPTIONS = (
    '{"SelectPdfVersion":{"type":"long","value":"2"},"UseTaggedPDF":{"type":"boolean","value":"true"},'
    '"ExportNotes":{"type":"boolean","value":"false"}}'
)


async def run_cold(
    files: list[Path], out: Path, export_filter: str, workers: int, tmp: Path, import_filter: str | None = None,
    per_file: dict[Path, float] | None = None,
) -> tuple[float, list[float]]:
    queue: asyncio.Queue[Path] = asyncio.Queue()
    for f in files:
        queue.put_nowait(f)
    latencies: list[float] = []

    async def worker(n: int) -> None:
        profile = tmp / f"cold-profile-{n}"
        while not queue.empty():
            f = queue.get_nowait()
            t = time.perf_counter()
            infilter = [f"--infilter={import_filter}"] if import_filter else []
            process = await asyncio.create_subprocess_exec(
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                *infilter,
                "--convert-to",
                f"pdf:{export_filter}:{COLD_OPTIONS}",
                "--outdir",
                str(out),
                str(f),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                env=office_environment(),  # the pool's font configuration
            )
            await process.wait()
            latencies.append(time.perf_counter() - t)
            if per_file is not None:
                per_file[f] = latencies[-1]

    # One warm-up so the profile creation is not counted against the cold path.
    for n in range(workers):
        process = await asyncio.create_subprocess_exec(
            "soffice",
            f"-env:UserInstallation=file://{tmp}/cold-profile-{n}",
            "--headless",
            "--terminate_after_init",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await process.wait()
    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(workers)))
    return time.perf_counter() - started, latencies


async def run_verapdf(files: list[Path], cold_files: int) -> list[tuple[str, float, float, str, float]] | None:
    """Server-mode validation per file vs a JVM per file; start-up time; peak RSS of the JVM."""
    if verapdf_available("java", default_classpath()):
        return None
    engine = VeraPdf()
    started = time.perf_counter()
    await engine.start()
    startup = time.perf_counter() - started
    warm: list[float] = []
    peak = 0.0
    try:
        for f in files:
            t = time.perf_counter()
            report = await engine.validate(f)
            warm.append(time.perf_counter() - t)
            assert report.compliant, (f, report)
            if engine.process is not None:
                peak = max(peak, _rss_tree_mb([engine.process.pid]))
    finally:
        await engine.stop()
    cold: list[float] = []
    for f in files[:cold_files]:
        t = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            "java",
            "-cp",
            default_classpath(),
            MAIN_CLASS,
            "--format",
            "json",
            "-f",
            "0",
            "-df",
            "2b",
            str(f),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await process.wait()
        cold.append(time.perf_counter() - t)
    return [
        (
            "veraPDF validation per file (server mode vs a JVM per file)",
            statistics.median(warm),
            p99(warm),
            "s",
            statistics.median(cold),
        ),
        ("veraPDF JVM start-up (server mode, once)", startup, startup, "s", 0.0),
        ("veraPDF peak memory", peak, peak, "MB RSS", 0.0),
    ]


def corpus_office_files() -> list[tuple[Path, str, str | None]]:
    """(path, LibreOffice kind, import filter) of the corpus's office files, or [] without the folder."""
    from arkiv5_conversion.identify import identify
    from arkiv5_conversion.policy import load_policy
    from arkiv5_kit.reference import ReferenceFileMissing, manifest, reference_file

    policy = load_policy()
    found = []
    for entry in sorted(manifest()):
        if not entry.startswith("conversion-corpus/") or entry.endswith("SOURCES.txt"):
            continue
        try:
            path = reference_file(entry)
        except ReferenceFileMissing:
            return []
        ident = identify(path.read_bytes())
        rule = policy.rule(ident.format)
        if rule is not None and rule.action == "libreoffice" and not ident.encrypted:
            found.append((path, rule.kind or "writer", rule.import_filter))
    return found


async def run_corpus(cores: int, tmp: Path) -> list[tuple[str, float, float, str, float]] | None:
    files = corpus_office_files()
    if not files:
        return None
    filters = {"writer": "writer_pdf_Export", "calc": "calc_pdf_Export", "impress": "impress_pdf_Export"}
    out = tmp / "corpus-pool"
    out.mkdir()
    failed = 0
    pool_times: dict[Path, float] = {}
    cold_times: dict[Path, float] = {}
    crashed: set[Path] = set()  # files that took a listener down (retry, then the one-shot converter)
    async with started_pool(cores) as (pool, peak):
        load_before = os.getloadavg()[0]

        async def worker(queue: asyncio.Queue[tuple[Path, str, str | None]]) -> None:
            nonlocal failed
            while not queue.empty():
                path, kind, import_filter = queue.get_nowait()
                started = time.perf_counter()
                answer = await pool.convert(
                    {
                        "op": "convert",
                        "src": str(path),
                        "dst": str(out / (path.name + ".pdf")),
                        "pdfa": 2,
                        "expect_kind": kind,
                        "import_filter": import_filter,
                    },
                    120,
                )
                pool_times[path] = time.perf_counter() - started
                if answer.listener_crashes:
                    crashed.add(path)
                failed += not answer.ok

        # Pool and cold alternate, group by group (document kind and import filter), so that both see
        # the same load on a shared machine. Cold: the same files, the same export options, import
        # filter and fonts, as many at once as cores.
        pool_s = cold_s = 0.0
        loads = [load_before]
        for kind, import_filter in sorted({(k, f) for _, k, f in files}, key=str):
            group = [item for item in files if (item[1], item[2]) == (kind, import_filter)]
            queue: asyncio.Queue[tuple[Path, str, str | None]] = asyncio.Queue()
            for item in group:
                queue.put_nowait(item)
            started = time.perf_counter()
            await asyncio.gather(*(worker(queue) for _ in range(cores)))
            pool_s += time.perf_counter() - started
            loads.append(os.getloadavg()[0])
            target = tmp / f"corpus-cold-{kind}-{bool(import_filter)}"
            target.mkdir()
            seconds, _ = await run_cold(
                [p for p, _, _ in group], target, filters[kind], cores, tmp, import_filter, per_file=cold_times
            )
            cold_s += seconds
            loads.append(os.getloadavg()[0])
    n = len(files)
    print(
        f"real corpus: {n} office files, {pool.crashes} listener crashes, {pool.oneshots} one-shot conversions, "
        f"{pool.start_waits} jobs waited for a listener start, {failed} failed in the pool; {cores} cores, "
        f"{len(pool.listeners)} listeners ({len(pool.listeners) - pool.size} spare), peak memory {peak.mb:.0f} MB RSS; "
        f"load average {min(loads):.1f}–{max(loads):.1f}; pool {pool_s:.1f} s, cold {cold_s:.1f} s"
    )
    # Per file (each file's own time, summed; the wall times above also hold the waits for a group's last
    # file): the files that crashed a listener apart from the healthy ones, which never wait for them.
    for label, group in (("files that crashed a listener", sorted(crashed)),
                         ("healthy files", sorted(set(pool_times) - crashed))):
        pool_sum, cold_sum = sum(pool_times[p] for p in group), sum(cold_times.get(p, 0.0) for p in group)
        ratio = f"{cold_sum / pool_sum:.1f}×" if pool_sum else "–"
        names = f" ({', '.join(p.name for p in group)})" if group is not None and path_crashed(group, crashed) else ""
        print(f"  {label}: {len(group)}{names}; pool {pool_sum:.1f} s, cold {cold_sum:.1f} s, each file's time summed "
              f"({ratio})")
    return [
        (f"real corpus office files/min, {n} files (pool vs cold)", 60 * n / pool_s, 0.0, "files/min", 60 * n / cold_s)
    ]


def path_crashed(group: list[Path], crashed: set[Path]) -> bool:
    return bool(group) and all(p in crashed for p in group)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


async def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--corpus"]
    per_type = int(args[0]) if args else 20
    cores = os.cpu_count() or 1
    print(f"cpu_count: {cores}")
    if "--corpus" in sys.argv:  # only the real corpus, pool vs cold
        with tempfile.TemporaryDirectory() as tmpdir:
            corpus_rows = await run_corpus(cores, Path(tmpdir))
        for name, value, _, unit, baseline in corpus_rows or []:
            print(f"| {name} | {value:.1f} | – | {unit} | {baseline:.1f} | {value / baseline:.1f}× | ≥ 10× |")
        return
    problem = libreoffice_available("soffice", "/usr/bin/python3")
    if problem:
        print(f"skipped: {problem}")
        return
    rows = []
    total_pool = total_cold = 0.0
    total_docs = 0
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        async with started_pool(cores) as (pool, peak_memory):
            for name, (suffix, make, export_filter) in TYPES.items():
                src = tmp / name
                src.mkdir()
                data = make()
                files = []
                for i in range(per_type):
                    path = src / f"{name}-{i}.{suffix}"
                    path.write_bytes(data)
                    files.append(path)
                (tmp / f"{name}-pool").mkdir()
                (tmp / f"{name}-cold").mkdir()
                pool_s, pool_lat = await run_pool(pool, files, tmp / f"{name}-pool", cores)
                cold_s, cold_lat = await run_cold(files, tmp / f"{name}-cold", export_filter, cores, tmp)
                assert len(list((tmp / f"{name}-cold").iterdir())) == per_type, "cold conversions failed"
                pool_rate, cold_rate = 60 * per_type / pool_s, 60 * per_type / cold_s
                total_pool += pool_s
                total_cold += cold_s
                total_docs += per_type
                rows.append((f"{name} docs/min (pool vs cold)", pool_rate, p99(pool_lat), "docs/min", cold_rate))
                rows.append(
                    (
                        f"{name} latency (pool)",
                        statistics.median(pool_lat),
                        p99(pool_lat),
                        "s",
                        statistics.median(cold_lat),
                    )
                )
        peak = peak_memory.mb
        pdfs = sorted((tmp / "docx-pool").glob("*.pdf")) + sorted((tmp / "xlsx-pool").glob("*.pdf"))
        vera_rows = await run_verapdf(pdfs, cold_files=min(5, len(pdfs)))
        corpus_rows = await run_corpus(cores, tmp)
    print()
    print("| benchmark | median | p99 | unit | baseline | ratio | target |")
    print("|---|---|---|---|---|---|---|")
    for name, value, tail, unit, baseline in rows:
        if unit == "docs/min":
            print(f"| {name} | {value:.0f} | – | {unit} | {baseline:.0f} | {value / baseline:.1f}× | |")
        else:
            print(f"| {name} | {value:.3f} | {tail:.3f} | {unit} | {baseline:.3f} | {baseline / value:.1f}× faster | |")
    overall_pool, overall_cold = 60 * total_docs / total_pool, 60 * total_docs / total_cold
    print(
        f"| office documents, all types | {overall_pool:.0f} | – | docs/min | {overall_cold:.0f} | "
        f"{overall_pool / overall_cold:.1f}× | ≥ 10× |"
    )
    print(f"| peak memory, {cores} listeners | {peak:.0f} | – | MB RSS | – | – | |")
    if corpus_rows is None:
        print("| real corpus | skipped: reference folder missing (ARKIV5_REFERENCE_DIR) | | | | | |")
    else:
        for name, value, _, unit, baseline in corpus_rows:
            print(f"| {name} | {value:.1f} | – | {unit} | {baseline:.1f} | {value / baseline:.1f}× | ≥ 10× |")
    if vera_rows is None:
        print("| veraPDF | skipped: not fetched (python3 scripts/verapdf.py fetch) | | | | | |")
    else:
        for name, value, tail, unit, baseline in vera_rows:
            if baseline:
                print(
                    f"| {name} | {value:.3f} | {tail:.3f} | {unit} | {baseline:.3f} | {baseline / value:.0f}× faster | |"
                )
            else:
                print(f"| {name} | {value:.2f} | – | {unit} | – | – | |")


if __name__ == "__main__":
    asyncio.run(main())

"""Where the listener pool's time goes on real office files: LibreOffice opening the file, writing
the PDF/A, the round trip around them, and the checks after (basic structure, then veraPDF).

Run: ``ARKIV5_REFERENCE_DIR=../shared/reference uv run python bench/bench_conversion_phases.py [rounds]``
(default 3 rounds; the first conversion of each file warms the listener and is not counted), or
``... bench_conversion_phases.py --corpus`` for the per-file table of every office file of the corpus.

A handful of the conversion corpus's real office files, one warm listener, one file at a time,
so each phase is measured without another conversion competing for the cores:

* **identify** — format by content (libmagic, the package manifest), in the service's process;
* **load** — ``loadComponentFromURL`` and the page count, inside LibreOffice (the UNO driver times it);
* **export** — ``storeToURL`` with the PDF/A filter, inside LibreOffice;
* **round trip** — the rest of the listener call: the request over the pipe, the answer back;
* **basic check** — the output opens (pikepdf), is PDF/A-2 by its XMP, its page count;
* **veraPDF** — full validation in the long-lived veraPDF process (skipped when not fetched).

It converts a few files a few times; it is not the corpus benchmark (``bench_conversion.py``).

``--corpus``: every office file ``bench_conversion.py --corpus`` converts, one at a time, once through
a warm pool (two listeners and a spare, as there) and once by a cold ``soffice --convert-to`` with the
same export options, import filter and fonts: per file the pool's wall time split into LibreOffice's
load and export and the rest (the ping before the job, the request and answer over the pipe; for a
file that crashes a listener: the two crashes and the one-shot converter), the listener crashes it
caused, the cold time, and the service's own work around the conversion (identify, basic check,
veraPDF) that neither side of the comparison includes.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from arkiv5_conversion.engine.listeners import ListenerPool, libreoffice_available
from arkiv5_conversion.engine.verapdf import VeraPdf, default_classpath, verapdf_available
from arkiv5_conversion.identify import identify
from arkiv5_conversion.validate import BasicPdfaValidator, VeraPdfValidator
from arkiv5_kit.reference import reference_file

FILES = {  # corpus file: the LibreOffice document kind the policy expects
    "conversion-corpus/docx-cyrillic-chernigovka.docx": "writer",
    "conversion-corpus/doc-travel-approval-form.doc": "writer",
    "conversion-corpus/odt-planes.odt": "writer",
    "conversion-corpus/rtf-court-decision.rtf": "writer",
    "conversion-corpus/xlsx-pivots.xlsx": "calc",
    "conversion-corpus/pptx-conference-talk.pptx": "impress",
}
PHASES = ("identify", "load", "export", "round trip", "basic check", "veraPDF")


async def measure(rounds: int) -> dict[str, dict[str, float]]:
    problem = libreoffice_available("soffice", "/usr/bin/python3")
    if problem:
        raise SystemExit(problem)
    pool = ListenerPool(1, soffice="soffice", python="/usr/bin/python3", memory_mb=4096, restart_after=1000,
                        niceness=0)  # the phases as LibreOffice takes them, not as the scheduler shares a busy machine
    verapdf = None if verapdf_available("java", default_classpath()) else VeraPdf(timeout_s=120)
    basic = BasicPdfaValidator()
    full = VeraPdfValidator(verapdf) if verapdf else None
    medians: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="arkiv5-phases-") as tmp:
            for path, kind in FILES.items():
                source = reference_file(path)
                data = source.read_bytes()
                samples: dict[str, list[float]] = {phase: [] for phase in PHASES}
                for n in range(rounds + 1):
                    started = time.perf_counter()
                    ident = identify(data)
                    identified = time.perf_counter()
                    src = Path(tmp) / f"source-{n}.{ident.format}"
                    dst = Path(tmp) / f"archival-{n}.pdf"
                    src.write_bytes(data)
                    answer = await pool.convert({"op": "convert", "src": str(src), "dst": str(dst), "pdfa": 2,
                                                 "max_pages": 2000, "expect_kind": kind}, 300)
                    converted = time.perf_counter()
                    if not answer.ok or answer.load_s is None or answer.export_s is None:
                        raise SystemExit(f"{path}: {answer.code} {answer.reason}")
                    await basic.validate(dst, pdfa_part=2, expected_pages=answer.pages)
                    checked = time.perf_counter()
                    if full is not None:
                        await full.validate(dst, pdfa_part=2, expected_pages=answer.pages)
                    validated = time.perf_counter()
                    if n == 0:
                        continue  # the listener's first sight of this kind of document
                    call = converted - identified
                    samples["identify"].append(identified - started)
                    samples["load"].append(answer.load_s)
                    samples["export"].append(answer.export_s)
                    samples["round trip"].append(call - answer.load_s - answer.export_s)
                    samples["basic check"].append(checked - converted)
                    samples["veraPDF"].append(validated - checked if full is not None else float("nan"))
                medians[Path(path).name] = {phase: statistics.median(values) for phase, values in samples.items()}
    finally:
        await pool.close()
        if verapdf is not None:
            await verapdf.stop()
    return medians


async def per_file() -> None:
    from bench_conversion import COLD_OPTIONS, corpus_office_files, started_pool

    from arkiv5_conversion.engine.listeners import EXPORT_FILTERS, office_environment

    files = corpus_office_files()
    if not files:
        raise SystemExit("the conversion corpus is missing (ARKIV5_REFERENCE_DIR)")
    verapdf = None if verapdf_available("java", default_classpath()) else VeraPdf(timeout_s=120)
    basic = BasicPdfaValidator()
    full = VeraPdfValidator(verapdf) if verapdf else None
    rows = []
    with tempfile.TemporaryDirectory(prefix="arkiv5-phases-") as tmpdir:
        tmp = Path(tmpdir)
        profile = tmp / "cold-profile"
        warm = await asyncio.create_subprocess_exec(
            "soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--terminate_after_init",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await warm.wait()
        async with started_pool(2) as (pool, _):
            for path, kind, import_filter in files:
                started = time.perf_counter()
                identify(path.read_bytes())
                identified = time.perf_counter()
                dst = tmp / (path.name + ".pdf")
                crashes = pool.crashes
                answer = await pool.convert({"op": "convert", "src": str(path), "dst": str(dst), "pdfa": 2,
                                             "expect_kind": kind, "import_filter": import_filter}, 120)
                converted = time.perf_counter()
                checked = validated = converted
                if answer.ok:
                    await basic.validate(dst, pdfa_part=2, expected_pages=answer.pages)
                    checked = time.perf_counter()
                    if full is not None:
                        await full.validate(dst, pdfa_part=2, expected_pages=answer.pages)
                    validated = time.perf_counter()
                out = tmp / f"cold-{path.name}"
                out.mkdir()
                infilter = [f"--infilter={import_filter}"] if import_filter else []
                cold_started = time.perf_counter()
                process = await asyncio.create_subprocess_exec(
                    "soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", *infilter,
                    "--convert-to", f"pdf:{EXPORT_FILTERS[kind]}:{COLD_OPTIONS}", "--outdir", str(out), str(path),
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, env=office_environment())
                await process.wait()
                cold = time.perf_counter() - cold_started
                pool_s = converted - identified
                load, export = answer.load_s or 0.0, answer.export_s or 0.0
                rows.append((path.name, pool_s, load, export, pool_s - load - export, pool.crashes - crashes, cold,
                             identified - started, checked - converted, validated - checked, answer.ok))
                # Let the listeners a crash took down start again before the next file is timed.
                while pool._restarts:
                    await asyncio.sleep(0.1)
    if verapdf is not None:
        await verapdf.stop()
    print("one file at a time, seconds; pool = the warm pool's wall time for the file")
    print("| file | pool | load | export | rest | crashes | cold | cold/pool | identify | basic check | veraPDF |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, pool_s, load, export, rest, crashes, cold, ident_s, check_s, vera_s, ok in sorted(rows, key=lambda r: -r[1]):
        print(f"| {name}{'' if ok else ' (failed)'} | {pool_s:.2f} | {load:.2f} | {export:.2f} | {rest:.2f} | {crashes} | "
              f"{cold:.2f} | {cold / pool_s:.1f}× | {ident_s:.3f} | {check_s:.3f} | {vera_s:.3f} |")
    healthy = [r for r in rows if r[5] == 0]
    for label, group in (("all", rows), ("healthy (no crash)", healthy)):
        pool_total, cold_total = sum(r[1] for r in group), sum(r[6] for r in group)
        print(f"| {label}: {len(group)} files | {pool_total:.2f} | {sum(r[2] for r in group):.2f} | "
              f"{sum(r[3] for r in group):.2f} | {sum(r[4] for r in group):.2f} | {sum(r[5] for r in group)} | "
              f"{cold_total:.2f} | {cold_total / pool_total:.1f}× | {sum(r[7] for r in group):.2f} | "
              f"{sum(r[8] for r in group):.2f} | {sum(r[9] for r in group):.2f} |")


def main() -> None:
    if "--corpus" in sys.argv:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        asyncio.run(per_file())
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    medians = asyncio.run(measure(rounds))
    print(f"median seconds of {rounds} rounds, one warm listener, one file at a time")
    print("| file | " + " | ".join(PHASES) + " | total | LibreOffice share |")
    print("|---" * (len(PHASES) + 3) + "|")
    totals = {phase: 0.0 for phase in PHASES}
    for name, phases in medians.items():
        total = sum(v for v in phases.values() if v == v)
        office = phases["load"] + phases["export"]
        for phase in PHASES:
            totals[phase] += phases[phase] if phases[phase] == phases[phase] else 0.0
        print(f"| {name} | " + " | ".join(f"{phases[p]:.3f}" for p in PHASES)
              + f" | {total:.3f} | {office / total:.0%} |")
    grand = sum(totals.values())
    print("| all | " + " | ".join(f"{totals[p]:.3f}" for p in PHASES) + f" | {grand:.3f} | "
          f"{(totals['load'] + totals['export']) / grand:.0%} |")


if __name__ == "__main__":
    main()

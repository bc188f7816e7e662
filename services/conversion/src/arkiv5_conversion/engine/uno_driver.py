"""A LibreOffice listener and the UNO calls that convert with it.

Runs under the *system* Python (`/usr/bin/python3`), the only interpreter Debian's
`python3-uno` serves; it uses the standard library and `uno` only. The service starts one
driver per listener and talks JSON lines over stdin/stdout:

    {"op": "convert", "src": "/abs/in.docx", "dst": "/abs/out.pdf", "pdfa": 2,
     "import_filter": null, "filter_options": null, "max_pages": 500}
    -> {"ok": true, "pages": 3, "kind": "writer"}  |  {"ok": false, "code": "...", "reason": "..."}

The driver starts its own headless soffice with a private, locked-down profile (macros
off at the highest security level, no external links) and keeps it for many documents;
the service kills the whole process group on a timeout and starts a fresh one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import uno
from com.sun.star.beans import PropertyValue

try:  # run as a script by the system Python (the engine folder is on its path)
    from lo_profile import write_profile
except ImportError:  # imported from the package (tests, type checks)
    from .lo_profile import write_profile

EXPORT_FILTERS = {
    "writer": "writer_pdf_Export",
    "calc": "calc_pdf_Export",
    "impress": "impress_pdf_Export",
    "draw": "draw_pdf_Export",
}


def _props(**values: Any) -> tuple[Any, ...]:
    out = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name = name
        prop.Value = value
        out.append(prop)
    return tuple(out)


def _start_office(soffice: str, profile: str, pipe: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
            "--nolockcheck", "--nofirststartwizard",
            f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _connect(pipe: str, office: subprocess.Popen[bytes], timeout_s: float) -> Any:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except Exception:
            if office.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _kind(doc: Any) -> str:
    if doc.supportsService("com.sun.star.sheet.SpreadsheetDocument"):
        return "calc"
    if doc.supportsService("com.sun.star.presentation.PresentationDocument"):
        return "impress"
    if doc.supportsService("com.sun.star.drawing.DrawingDocument"):
        return "draw"
    if doc.supportsService("com.sun.star.text.TextDocument"):
        return "writer"
    return "unknown"


def _page_count(doc: Any, kind: str) -> int | None:
    try:
        if kind == "writer":
            return int(doc.getCurrentController().getPropertyValue("PageCount"))
        if kind in ("impress", "draw"):
            return int(doc.getDrawPages().getCount())
    except Exception:
        return None
    return None  # Calc's pages depend on print ranges; the validator counts them afterwards


def healthy(desktop: Any, office: subprocess.Popen[bytes]) -> bool:
    """soffice is running and answers a UNO call (a dead or disconnected bridge raises)."""
    if office.poll() is not None:
        return False
    try:
        desktop.getFrames()
    except Exception:
        return False
    return True


def convert(desktop: Any, request: dict[str, Any]) -> dict[str, Any]:
    load: dict[str, Any] = {"Hidden": True, "ReadOnly": True, "MacroExecutionMode": 0, "UpdateDocMode": 0}
    if request.get("import_filter"):
        load["FilterName"] = request["import_filter"]
    if request.get("filter_options"):
        load["FilterOptions"] = request["filter_options"]
    started = time.perf_counter()
    try:
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(request["src"]), "_blank", 0, _props(**load))
    except Exception as exc:
        return {"ok": False, "code": "load-failed", "reason": f"LibreOffice could not load the file ({type(exc).__name__})"}
    if doc is None:
        return {"ok": False, "code": "load-failed", "reason": "LibreOffice could not load the file"}
    try:
        kind = _kind(doc)
        if kind not in EXPORT_FILTERS:
            return {"ok": False, "code": "load-failed", "reason": "LibreOffice opened the file as an unknown kind"}
        if request.get("expect_kind") and request["expect_kind"] != kind:
            return {"ok": False, "code": "wrong-kind",
                    "reason": f"LibreOffice read the file as {kind}, expected {request['expect_kind']}"}
        pages = _page_count(doc, kind)
        loaded = time.perf_counter()
        max_pages = request.get("max_pages")
        if pages is not None and max_pages and pages > max_pages:
            return {"ok": False, "code": "too-many-pages", "reason": f"{pages} pages, the limit is {max_pages}"}
        filter_data = uno.Any(
            "[]com.sun.star.beans.PropertyValue",
            _props(SelectPdfVersion=int(request.get("pdfa", 2)), UseTaggedPDF=True, ExportNotes=False),
        )
        doc.storeToURL(
            uno.systemPathToFileUrl(request["dst"]),
            _props(FilterName=EXPORT_FILTERS[kind], FilterData=filter_data, Overwrite=True),
        )
        # Where the time goes (opening the file vs writing the PDF/A), for the measurements.
        return {"ok": True, "pages": pages, "kind": kind, "load_s": round(loaded - started, 4),
                "export_s": round(time.perf_counter() - loaded, 4)}
    except Exception as exc:
        return {"ok": False, "code": "export-failed", "reason": f"LibreOffice could not export PDF/A ({type(exc).__name__})"}
    finally:
        try:
            doc.close(True)
        except Exception:
            try:
                doc.dispose()
            except Exception:
                pass


def main() -> int:
    soffice, profile, pipe = sys.argv[1], sys.argv[2], sys.argv[3]
    write_profile(profile)
    office = _start_office(soffice, profile, pipe)
    try:
        desktop = _connect(pipe, office, timeout_s=60)
        print(json.dumps({"ok": True, "ready": True}), flush=True)
        for line in sys.stdin:
            request = json.loads(line)
            if not healthy(desktop, office):
                # Died between jobs: say so without blaming the next file, and end.
                print(json.dumps({"ok": False, "code": "listener-dead", "reason": "LibreOffice had stopped"}),
                      flush=True)
                return 3
            if request.get("op") == "ping":
                answer: dict[str, Any] = {"ok": True}
            else:
                answer = convert(desktop, request)
                if not answer.get("ok") and not healthy(desktop, office):
                    # This file took LibreOffice down (crash or lost UNO bridge).
                    answer = {"ok": False, "code": "listener-crashed",
                              "reason": "LibreOffice stopped while converting the file"}
                    print(json.dumps(answer), flush=True)
                    return 3
            print(json.dumps(answer), flush=True)
    finally:
        try:
            desktop.terminate()
        except Exception:
            pass
        try:
            office.wait(timeout=10)
        except Exception:
            office.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())

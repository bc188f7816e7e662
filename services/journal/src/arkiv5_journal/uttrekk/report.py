"""The validator's report: findings with Arkade 5's test ids and the severities the journal gives them.

Arkade has no warning level. Ours: error for Arkade's control tests and for the analysis
tests whose finding means the deposit is wrong; warning for statuses that are not final and
for counts that should be zero; info for everything else. A finding names a file, a
systemID and counts — never a title or a name. JSON for a machine, HTML for a person.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

CONTROL = {"XML", "XSD", "XSD_CHECKSUM", "ADDML_CHECKSUM", "N5_01", "N5_02", "N5_03", "N5_30", "N5_32", "N5_47",
           "N5_48", "N5_51", "N5_59", "N5_62", "N5_63"}
"""Arkade 5's control tests (structure and content controls): a finding is always an error."""
ERRORS = CONTROL | {"N5_10", "N5_12", "N5_16", "N5_17", "N5_19", "N5_27", "N5_28", "N5_29", "N5_33", "N5_42",
                    "N5_44", "N5_45", "N5_60", "N5_61", "VALIDATOR"}
"""VALIDATOR: the validator itself could not finish (a process of it failed), so the extraction is not validated."""
WARNINGS = {"N5_15", "N5_22", "N5_25"}
WARN_IF_ANY = {"N5_14", "N5_21", "N5_24", "N5_64"}
"""Counts that are a warning when not zero; every other test's finding is info."""

@dataclass
class Finding:
    test: str
    severity: str
    message: str
    file: str | None = None
    system_id: str | None = None


@dataclass
class Report:
    extraction: str
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, test: str, message: str, *, file: str | None = None, system_id: str | None = None,
            count: int | None = None, info: bool = False) -> None:
        severity = "info" if info else ("error" if test in ERRORS else "warning" if test in WARNINGS
                    or (test in WARN_IF_ANY and (count or 0) > 0) else "info")
        self.findings.append(Finding(test, severity, message, file, system_id))

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    def as_json(self) -> dict[str, Any]:
        summary = Counter(f.severity for f in self.findings)
        return {"extraction": self.extraction, "valid": self.errors == 0,
                "summary": {k: summary.get(k, 0) for k in ("error", "warning", "info")},
                "counts": self.counts, "findings": [asdict(f) for f in self.findings]}

    def as_html(self) -> str:
        rows = "".join(f"<tr class='{f.severity}'><td>{f.test}</td><td>{f.severity}</td><td>{html.escape(f.message)}</td>"
                       f"<td>{html.escape(f.file or '')}</td><td>{f.system_id or ''}</td></tr>" for f in self.findings)
        verdict = "valid" if self.errors == 0 else f"{self.errors} errors"
        return (f"<!DOCTYPE html><html lang='no'><meta charset='utf-8'><title>Arkivuttrekk: {verdict}</title>"
                "<style>.error{background:#fdd}.warning{background:#ffd}td{padding:2px 8px}</style>"
                f"<h1>Arkivuttrekk: {verdict}</h1><table><tr><th>Test</th><th>Severity</th><th>Finding</th>"
                f"<th>File</th><th>systemID</th></tr>{rows}</table></html>")


__all__ = ["CONTROL", "ERRORS", "WARNINGS", "WARN_IF_ANY", "Finding", "Report"]

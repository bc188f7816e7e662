"""The converters' OS priority: below the service's own process, so its requests come first.

Every converter runs as a child process (LibreOffice, Ghostscript, veraPDF, pdftotext, the
PDF and image probes). In the one-process suite those children share the cores with every
request the suite answers; started `niceness` steps below their parent, the kernel's
scheduler gives the request process the CPU whenever both want it, and the conversion
backlog takes what is left — it still gets all of an idle machine. Lowering is one-way:
an unprivileged child cannot raise its priority again, and what it starts inherits it.
"""

from __future__ import annotations

import os

DEFAULT_NICENESS = 10  # CFS weight 110 against the parent's 1024: ~10 % of a contended core


def lower_priority(niceness: int) -> None:
    """In the child, before exec: run `niceness` steps below the parent (0 keeps its priority)."""
    if niceness > 0:
        os.nice(niceness)

"""veraPDF's failed clauses (ISO 19005-2/-3 numbering) in words an archivist can act on.

A clause number alone tells an expert which rule failed; the morning report is read by the
person who must do something about it. Each known clause family gets what it means and
what to do; the clause numbers stay at the end for the expert.
"""

from __future__ import annotations

# (clause prefix, what is wrong, what to do) — the longest matching prefix wins.
RULES: tuple[tuple[str, str, str], ...] = (
    ("6.1", "the PDF's file structure breaks the standard",
     "open the source in its own program and save or print it to PDF again"),
    ("6.1.3", "the PDF is encrypted or lacks its file identifier",
     "ask the sender for an unprotected copy"),
    ("6.2.2", "the colour profile (output intent) is missing or wrong",
     "export the document again with a standard colour profile (sRGB)"),
    ("6.2.3", "colours are defined without a colour profile",
     "export the document again in RGB with a standard colour profile"),
    ("6.2.4", "colours are defined without a colour profile",
     "export the document again in RGB with a standard colour profile"),
    ("6.2.5", "the PDF uses print-only graphics settings (transfer functions, halftones)",
     "print the document to PDF again without printer-specific settings"),
    ("6.2.8", "an image uses a feature PDF/A forbids (interpolation, alternates, JPEG 2000 options)",
     "replace the image with a plain JPEG or PNG and convert again"),
    ("6.2.9", "the PDF contains PostScript or reference objects",
     "print the document to PDF again from its own program"),
    ("6.2.10", "transparency is used in a way PDF/A forbids",
     "flatten transparency when exporting, or export the document again"),
    ("6.2.11", "a font breaks the rules",
     "install the font used by the document on the conversion server, or use a common font, and convert again"),
    ("6.2.11.4", "a font is not embedded in the PDF",
     "install the font used by the document on the conversion server (see the fonts in the documentation), "
     "or change the document to a common font, and convert again"),
    ("6.2.11.5", "a font's glyph widths do not match the font program (a substituted font)",
     "install the font used by the document on the conversion server, or change it to a common font"),
    ("6.2.11.6", "a font has no valid character encoding",
     "change the text to a common font and convert again"),
    ("6.2.11.7", "text cannot be mapped to Unicode (it could not be searched or read aloud)",
     "change the text to a common font and convert again"),
    ("6.3", "an annotation (comment, link, form widget) breaks the rules (hidden or without an appearance)",
     "remove comments and hidden annotations, or print the document to PDF, and convert again"),
    ("6.4", "the PDF has interactive form fields that PDF/A forbids",
     "flatten the form (print it to PDF) and convert again"),
    ("6.5", "the PDF contains actions or scripts (JavaScript, launch, sound, movie)",
     "remove scripts and actions, or print the document to PDF, and convert again"),
    ("6.6", "the document's metadata (XMP) is missing or inconsistent",
     "save the document again from its own program and convert again"),
    ("6.7", "the PDF is not tagged as the conformance level requires",
     "export the document again as a tagged PDF"),
    ("6.8", "the PDF has embedded files PDF/A-2 does not allow",
     "file the embedded files as their own documents and the PDF without them"),
    ("6.9", "optional content (layers) breaks the rules",
     "flatten the layers when exporting and convert again"),
)


def _rule(clause: str) -> tuple[str, str] | None:
    best: tuple[str, str, str] | None = None
    for prefix, what, todo in RULES:
        if (clause == prefix or clause.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, what, todo)
    return (best[1], best[2]) if best else None


def explain(flavour: str | None, clauses: list[str], failed_rules: int) -> str:
    """One reason: which rules broke and what to do, with the clauses kept at the end."""
    whats: list[str] = []
    todos: list[str] = []
    for clause in clauses:
        found = _rule(clause)
        if found is None:
            continue
        if found[0] not in whats:
            whats.append(found[0])
        if found[1] not in todos:
            todos.append(found[1])
    standard = f"PDF/A-{flavour}" if flavour else "PDF/A"
    what = "; ".join(whats) or "the output breaks rules of the archival standard"
    todo = "; or ".join(todos) or "open the source in its own program, save or print it to PDF again, and convert that"
    clause_list = ", ".join(clauses[:8])
    return (f"not a valid {standard}: {what}. What to do: {todo}. "
            f"(veraPDF: {failed_rules} rules failed{': ' + clause_list if clause_list else ''})")

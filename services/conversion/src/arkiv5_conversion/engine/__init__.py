"""The converters: a pool of LibreOffice listeners, Ghostscript, and bounded PDF checks."""

"""Arkiv5 conversion service. Identifies document formats and converts them to archival formats (PDF/A), nightly and on demand."""

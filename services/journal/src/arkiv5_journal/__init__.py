"""Arkiv5 journal service. The Noark 5 archive: saksmappe, journalpost, dokumenter, numbering, workflow, public journal, reports and search."""

"""Journalpost use cases: registering one (`register`), from any entry point, through one command."""

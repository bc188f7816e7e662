"""Journalpost use cases: registering one (`register`) through one command, status changes, sign-off, remarks, distribution."""

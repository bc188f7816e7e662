"""Domain rules of the journal: numbering, screening and the journalstatus routine."""

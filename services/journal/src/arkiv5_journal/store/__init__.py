"""The journal's queries and writers: the only floor that talks SQL."""

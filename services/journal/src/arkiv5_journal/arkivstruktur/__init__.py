"""Arkivstruktur use cases: the default arkiv/arkivdel/klassifikasjonssystem, and klasser."""

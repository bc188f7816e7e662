"""Arkiv5 in one process: the four services mounted under their prefixes on one embedded bus."""

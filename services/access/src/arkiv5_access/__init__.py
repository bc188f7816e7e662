"""Arkiv5 access service. Rights management as the archive plan prescribes: roles, units, access codes, groups, change requests and tokens."""

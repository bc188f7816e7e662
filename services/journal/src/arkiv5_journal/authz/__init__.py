"""Policy enforcement: the journal's read model of rights, and the one policy applied to its records."""

"""The access service's domain: rights, change requests, tokens, audit (services decide)."""

"""Speaking KS SvarUt: the OpenAPI files, the client and the simulator's rules (Maskinporten is the kit's)."""

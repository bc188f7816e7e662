"""Speaking KS SvarUt: the OpenAPI files, the client, Maskinporten, and the simulator's rules."""

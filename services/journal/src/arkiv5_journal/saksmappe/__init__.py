"""Saksmappe use cases: create, close (one case, or every open case of a client), remarks on a case."""

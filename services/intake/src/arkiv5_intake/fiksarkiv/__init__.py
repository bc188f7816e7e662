"""Fiks Arkiv (protocol no.ks.fiks.arkiv.v1): message types, safe XML, XSD validation and the handler."""

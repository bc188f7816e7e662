"""Arkivuttrekk: a Noark 5 v5.0 extraction of an arkivdel and period, and its validator.

`export.export_extraction` writes the folder (arkivstruktur.xml, the journals, the change
log, arkivuttrekk.xml, the official schemas and `dokumenter/`), streaming from the
database; `validate.validate_extraction` checks a folder the way an archive institution's
tools do (XSD plus rules with Arkade's test ids). `cli` is the command line glue.
"""

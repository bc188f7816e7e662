"""Migration import: another system's Noark 5 v5.0 extraction into this journal, validated, streamed, resumable.

`parse` reads the extraction's XML as records, safely and one saksmappe at a time;
`importer.import_extraction` validates the folder with the extraction validator and writes
the records in batches through the store layer (store/imports.py, store/bulk.py); `cli` is
`arkiv5-journal import-extraction DIR [--dry-run] [--report FILE]`.
"""

"""Document use cases: upload, versions, download, the archival variant, attachments from other services."""

"""Sending (ekspedering): the ekspedere command, the gateway's receipts, and the dispatch material."""

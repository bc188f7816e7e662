"""The central e-mail mailbox: IMAP polling, the queue, and registering a mail as a journalpost."""

"""Pure domain rules of the gateway: addressing and building the forsendelse."""

"""Arkiv5 SvarUt gateway service. Sends outgoing letters and decisions through KS SvarUt — never twice, never lost — and reports delivery."""

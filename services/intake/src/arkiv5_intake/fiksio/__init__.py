"""Fiks IO: the AMQP transport of Fiks Arkiv — CMS envelopes, ASiC-E packages, consumer, simulator."""

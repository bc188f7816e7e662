"""The two event transports behind one interface: Kafka, and the embedded one-machine bus."""

from .base import IncomingRecord, OutgoingMessage, Subscriber, Transport

__all__ = ["IncomingRecord", "OutgoingMessage", "Subscriber", "Transport"]

"""Build the event transport a process uses from its settings: Kafka or embedded."""

from __future__ import annotations

from .settings import ServiceSettings
from .transport.base import Transport
from .transport.embedded import EmbeddedTransport
from .transport.kafka import KafkaTransport


def create_transport(settings: ServiceSettings) -> Transport:
    if settings.bus == "kafka":
        return KafkaTransport(
            settings.kafka_bootstrap_servers,
            client_id=f"arkiv5-{settings.service_name}",
            create_topics=settings.kafka_create_topics,
            request_timeout_ms=settings.kafka_request_timeout_ms,
            topic_prefix=settings.kafka_topic_prefix,
        )
    return EmbeddedTransport(settings.resolved_embedded_bus_url())

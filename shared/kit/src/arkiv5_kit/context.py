"""Per-request / per-event context: the correlation and causation ids of the current flow.

Set by the HTTP middleware from `X-Correlation-ID` (or fresh) and by the consumer from the
envelope it handles; read by the outbox, the logs and the problem+json renderer.
"""

from __future__ import annotations

from contextvars import ContextVar
from uuid import UUID, uuid4

correlation_id_var: ContextVar[UUID | None] = ContextVar("correlation_id", default=None)
causation_id_var: ContextVar[UUID | None] = ContextVar("causation_id", default=None)


def current_correlation_id() -> UUID:
    """The flow's correlation id; a flow started outside any request gets a new one."""
    value = correlation_id_var.get()
    if value is None:
        value = uuid4()
        correlation_id_var.set(value)
    return value


def current_causation_id() -> UUID | None:
    return causation_id_var.get()

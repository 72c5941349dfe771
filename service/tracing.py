"""Optional OpenTelemetry tracing of the router: a span per micro-batch, W3C trace context in Kafka headers.

Imported only when ``TICKET_ROUTER_TRACING`` is on (it needs the ``tracing`` extra). The batch span links to
the trace context of every input record; each output keeps its input's context (so a department's consumer
continues the producer's trace), and an output whose input carried none gets the batch span's.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import Link, Span, SpanContext, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from core.errors import ConfigError
from service.kafka_delivery import RouterClients
from service.routing import InRecord, OutRecord
from service.settings import RouterSettings

if TYPE_CHECKING:  # the SDK is the optional tracing extra: imported when tracing starts
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

logger = logging.getLogger(__name__)

TRACE_HEADERS = frozenset({"traceparent", "tracestate"})
SERVICE_NAME = "ticket-router"
_PROPAGATOR = TraceContextTextMapPropagator()
Headers = Sequence[tuple[str, bytes]]


class _KafkaHeaders(Getter[Headers]):
    """Reads W3C headers from a Kafka record's (name, bytes) list; any byte decodes, bad values extract nothing."""

    def get(self, carrier: Headers, key: str) -> list[str] | None:
        values = [value.decode("latin-1") for name, value in carrier if name.lower() == key]
        return values or None

    def keys(self, carrier: Headers) -> list[str]:
        return [name for name, _ in carrier]


_GETTER = _KafkaHeaders()


def context_of(headers: Headers) -> SpanContext | None:
    """The valid trace context a record's headers carry, or None."""
    if not any(name.lower() in TRACE_HEADERS for name, _ in headers):
        return None
    found = trace.get_current_span(_PROPAGATOR.extract(headers, getter=_GETTER)).get_span_context()
    return found if found.is_valid else None


def headers_of(span: Span) -> list[tuple[str, bytes]]:
    """The W3C headers that make ``span`` the parent of whatever reads the record."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    return [(name, value.encode()) for name, value in carrier.items()]


class BatchSpan:
    """The span of one micro-batch: started at poll, linked to its inputs, ended after delivery."""

    def __init__(self, tracer: Tracer, records: Sequence[InRecord], group_id: str) -> None:
        self.records = records
        self.contexts = [context_of(r.headers) for r in records]
        links = [
            Link(ctx, {"messaging.destination.name": r.topic, "messaging.kafka.offset": r.offset})
            for r, ctx in zip(records, self.contexts, strict=True)
            if ctx is not None
        ]
        self.span = tracer.start_span(
            "process ticket batch",
            kind=SpanKind.CONSUMER,
            links=links,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.consumer.group.name": group_id,
                "messaging.batch.message_count": len(records),
            },
        )

    def stamp(self, outgoing: Sequence[OutRecord]) -> list[OutRecord]:
        """The outputs with trace headers: their input's context, or the batch span's where the input had none."""
        own = headers_of(self.span)
        # The pipeline yields one output per input, in order; should that ever change, all get the batch's.
        contexts = self.contexts if len(outgoing) == len(self.records) else [None] * len(outgoing)
        stamped = []
        for i, out in enumerate(outgoing):
            carried = own if contexts[i] is None else [h for h in self.records[i].headers if h[0] in TRACE_HEADERS]
            kept = [h for h in out.headers if h[0] not in TRACE_HEADERS]
            stamped.append(out._replace(headers=kept + carried))
        return stamped

    def end(self, committed: bool | None, error: BaseException | None = None) -> None:
        """Close the span with the batch's outcome."""
        if error is not None:
            self.span.record_exception(error)
            self.span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        elif committed is not None:
            self.span.set_attribute("ticket_router.batch.committed", committed)
        self.span.end()


class TracedClients(RouterClients):
    """The router's Kafka clients with a batch span from each poll that returned records to its delivery."""

    def __init__(self, settings: RouterSettings, tracer: Tracer) -> None:
        super().__init__(settings)
        self._tracer = tracer
        self._batch: BatchSpan | None = None

    def poll(self) -> list[InRecord]:
        """Poll; a non-empty batch starts its span."""
        records = super().poll()
        if records:
            if self._batch is not None:  # the previous batch never reached delivery (the loop raised)
                self._batch.end(None)
            self._batch = BatchSpan(self._tracer, records, self.settings.group_id)
        return records

    def deliver(self, records: Sequence[InRecord], outgoing: Sequence[OutRecord]) -> bool:
        """Deliver the outputs with trace headers; the batch span ends here."""
        batch = self._batch if self._batch is not None and self._batch.records is records else None
        batch = batch or BatchSpan(self._tracer, records, self.settings.group_id)
        self._batch = None
        try:
            committed = super().deliver(records, batch.stamp(outgoing))
        except BaseException as exc:
            batch.end(None, exc)
            raise
        batch.end(committed)
        return committed


class RouterTracing:
    """Builds the tracer provider on :meth:`start`, hands out traced clients, flushes on :meth:`stop`."""

    def __init__(self, settings: RouterSettings) -> None:
        self.settings = settings
        self._provider: TracerProvider | None = None
        self.tracer: Tracer = trace.NoOpTracer()

    def clients(self, settings: RouterSettings) -> RouterClients:
        """A clients factory for :class:`service.router.Router`."""
        return TracedClients(settings, self.tracer)

    def start(self, exporter: SpanExporter | None = None) -> None:
        """Create the SDK provider with a batch exporter (``exporter`` or the one OTEL_TRACES_EXPORTER names)."""
        try:
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import SpanLimits, TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError:
            raise ConfigError("tracing needs the OpenTelemetry SDK: pip install 'ticket-router[tracing]'") from None
        resource = Resource.create()
        if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
            resource = resource.merge(Resource({"service.name": SERVICE_NAME}))
        # Every input of a batch gets its link (the SDK keeps 128 by default).
        limits = SpanLimits(max_links=max(self.settings.batch_size, 128))
        self._provider = TracerProvider(resource=resource, span_limits=limits)
        exporter = exporter if exporter is not None else configured_exporter()
        if exporter is not None:
            self._provider.add_span_processor(BatchSpanProcessor(exporter))
        self.tracer = self._provider.get_tracer("service.tracing")
        logger.info("tracing micro-batches (exporter: %s)", type(exporter).__name__ if exporter else "none")

    def stop(self) -> None:
        """Export what is buffered and stop the exporter thread (idempotent)."""
        provider, self._provider = self._provider, None
        if provider is not None:
            provider.shutdown()


def configured_exporter() -> SpanExporter | None:
    """The span exporter OTEL_TRACES_EXPORTER names: otlp (HTTP/protobuf, OTEL_EXPORTER_OTLP_*), console or none."""
    name = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")[0].strip().lower()
    if name == "none":
        return None
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if name == "otlp":
        protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        if protocol not in (None, "", "http/protobuf"):
            raise ConfigError(f"OTLP protocol {protocol!r} is not supported here: use http/protobuf")
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    raise ConfigError(f"OTEL_TRACES_EXPORTER={name!r} is not supported (otlp, console or none)")

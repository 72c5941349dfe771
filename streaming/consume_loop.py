"""The one Kafka consume loop: connect with backoff, poll, hand each batch to a handler, notice stalls, stop."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from kafka import TopicPartition
from kafka.errors import KafkaError

from streaming.stall import StallDetector

logger = logging.getLogger(__name__)

STALL_AFTER_S = 120.0
"""A loop that has not turned for this long is stuck (its liveness probe fails); also the default for
noticing fetches that stopped progressing."""
LAG_INTERVAL_S = 5.0
"""How often lag is measured (and the group coordinator checked) while the loop turns."""
FIRST_BACKOFF_S = 0.5
"""The first wait before reconnecting; it doubles after each failed attempt, up to the loop's maximum."""


class Connection(Protocol):
    """What the loop needs of a connected consumer (e.g. :class:`streaming.group_reader.TopicReader`)."""

    def poll(self) -> Sequence[Any]:
        """The records that arrived (possibly none), after a bounded wait."""

    def lag(self) -> Mapping[TopicPartition, int]:
        """Records waiting per assigned partition."""

    def close(self) -> None:
        """Release the connection (the loop calls it once, whatever happened)."""


C = TypeVar("C", bound=Connection)
R = TypeVar("R")


def broker_outage(exc: Exception) -> str | None:
    """The default outage: any ``KafkaError`` (broker away, fenced producer, coordinator moved...), described by
    its message (which names its type and tells of brokers and timeouts, never of records); None otherwise."""
    return f"Kafka error ({exc})" if isinstance(exc, KafkaError) else None


class ConsumeLoop(Generic[C, R]):
    """Runs until :meth:`stop`: connect, then poll and hand each poll's records to ``handle``; reconnect on outages.

    ``connect`` opens a connection (raising when the broker is away); ``handle(connection, records)`` is
    called after every poll, with records or without (its chance for periodic work). An exception for which
    ``outage`` returns a description (default: :func:`broker_outage`) is logged with it, closes the connection
    and reconnects after a backoff of 0.5 s doubling up to ``backoff_max_s``; nothing was committed for the
    batch that failed, so it is read again. Any other exception closes the connection and ends :meth:`run`:
    the owner's policy decides.
    Every ``lag_interval_s`` the lag is measured: records waiting with none arriving for ``stall_after_s``
    is logged once as a stall (see :class:`StallDetector`) and ``on_lag`` receives each measure.
    """

    def __init__(
        self,
        name: str,
        connect: Callable[[], C],
        handle: Callable[[C, list[R]], None],
        *,
        outage: Callable[[Exception], str | None] = broker_outage,
        backoff_max_s: float = 10.0,
        stall_after_s: float = STALL_AFTER_S,
        lag_interval_s: float = LAG_INTERVAL_S,
        on_lag: Callable[[Mapping[TopicPartition, int]], None] | None = None,
        stop: threading.Event | None = None,
        log: logging.Logger = logger,
    ) -> None:
        self.name = name
        self._connect = connect
        self._handle = handle
        self._outage = outage
        self._backoff_max_s = backoff_max_s
        self._lag_interval_s = lag_interval_s
        self._on_lag = on_lag
        self._stop = stop if stop is not None else threading.Event()
        self._log = log
        self._stall = StallDetector(stall_after_s)
        self._last_beat = time.monotonic()
        self._next_lag = 0.0
        self.connection: C | None = None
        """The open connection, None while connecting or waiting to reconnect."""
        self.outages = 0
        """Connections lost (or not made) to an outage since the start."""

    @property
    def stalled(self) -> bool:
        """Records wait but none arrived for ``stall_after_s`` (as of the last lag measure)."""
        return self._stall.stalled

    def alive(self) -> bool:
        """False when the loop has not turned for :data:`STALL_AFTER_S` (a stuck process)."""
        return time.monotonic() - self._last_beat < STALL_AFTER_S

    def stop(self) -> None:
        """Ask :meth:`run` to finish the batch in hand and return (idempotent; safe from a signal handler)."""
        self._stop.set()

    def run(self) -> None:
        """Connect (with backoff), consume until stopped, reconnect after outages."""
        backoff = FIRST_BACKOFF_S
        while not self._stop.is_set():
            self._last_beat = time.monotonic()
            connection: C | None = None
            try:
                connection = self._connect()
                self.connection = connection
                backoff = FIRST_BACKOFF_S
                self._consume(connection)
            except Exception as exc:
                described = self._outage(exc)
                if described is None:
                    raise
                self.outages += 1
                self._log.warning("%s: %s; reconnecting in %.1fs", self.name, described, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._backoff_max_s)
            finally:
                self.connection = None
                if connection is not None:
                    connection.close()
        self._log.info("%s stopped", self.name)

    def _consume(self, connection: C) -> None:
        while not self._stop.is_set():
            self._last_beat = time.monotonic()
            records = list(connection.poll())
            if records:
                self._stall.progressed(time.monotonic())
            self._handle(connection, records)
            if time.monotonic() >= self._next_lag:
                self._measure_lag(connection)

    def _measure_lag(self, connection: C) -> None:
        now = time.monotonic()
        self._next_lag = now + self._lag_interval_s
        lags = connection.lag()
        waiting = sum(lags.values())
        was_stalled = self._stall.stalled
        if self._stall.check(now, waiting) and not was_stalled:
            self._log.error(
                "fetches stopped progressing: %d records wait on %d partitions and none arrived for %gs",
                waiting,
                sum(1 for lag in lags.values() if lag),
                self._stall.after_s,
            )
        elif was_stalled and not self._stall.stalled:
            self._log.info("fetches progress again")
        if self._on_lag is not None:
            self._on_lag(lags)

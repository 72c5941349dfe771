"""The project's exception hierarchy: one root, specific children, one policy point in each loop."""

from __future__ import annotations


class TicketRouterError(Exception):
    """Root of every error this project raises on purpose."""


class ConfigError(TicketRouterError):
    """A setting or command-line option is invalid."""


class BrokerError(TicketRouterError):
    """The embedded broker could not be started, or a broker could not be reached."""


class InvalidEventError(TicketRouterError):
    """An input message cannot be routed; carries a machine-readable reason for the dead-letter record."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ModelLoadError(TicketRouterError):
    """A model bundle is missing, corrupt, fails its hash or its smoke test."""


class ClassifierError(TicketRouterError):
    """The model in service failed on every record of a batch: a fault of the process, not of one record."""


class UnroutableLabelError(TicketRouterError):
    """The model produced a label that has no department in the bundle's manifest."""


class DataError(TicketRouterError):
    """Training or evaluation data is missing or malformed."""


def describe_exception(exc: BaseException, limit: int = 300) -> str:
    """``Type: message`` of an unexpected exception on one line, cut to ``limit`` characters (for error lines)."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

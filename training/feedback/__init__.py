"""Agents' corrections: the consumer that stores them, the store, and the reader of the routed events they name."""

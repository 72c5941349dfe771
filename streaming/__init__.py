"""Kafka for every process: settings and clients, topics, the consume loop, background workers, the embedded broker."""

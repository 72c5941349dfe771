"""The router: consumes ticket events from Kafka and publishes each to its department's topic."""

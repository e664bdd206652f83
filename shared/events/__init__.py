"""The event contract: CloudEvents envelope, data models of each event type, Kafka codec."""

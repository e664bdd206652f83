"""The embedded local stack: Tansu (Kafka), SecantusDB (MongoDB) and an SMTP sink, on free
or given ports, for `cfamon run`, the tests and the benchmarks."""

from shared.stack.stack import EmbeddedStack, StackEndpoints

__all__ = ["EmbeddedStack", "StackEndpoints"]

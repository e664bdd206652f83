"""aggregator: stores every validated event once and keeps the read model."""

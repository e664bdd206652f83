"""Common code of the three services: catalog, event contract, topics, settings, logging, local stack."""

"""The adapters: Kafka (brokers, topics, unreadable batches, SCRAM users, the DLQ), MongoDB
(connections, collections, the event log, the registry, the framework), and the HTTP plumbing
(the service app, tokens, problem details, body limits, paging, OpenAPI and AsyncAPI)."""

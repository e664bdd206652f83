"""`cfamon simulate`: realistic field projects reporting over Kafka and HTTP."""

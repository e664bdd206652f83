"""The domain, pure: the Call for Action catalog, the results framework, facts and their
fold, the status rules, the read model and the live view that keeps it."""

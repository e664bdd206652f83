"""The `cfamon` command."""

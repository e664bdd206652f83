"""The three services of the Call for Action Monitor and the `cfamon` command."""

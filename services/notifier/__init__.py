"""notifier: alerts the Reference Group and the TWGs when priorities fall behind (skeleton)."""

"""intake: validates project events and routes them to the validated or dead-letter topic."""

"""The show as values: feeds, episodes and what has been published, loaded with file:line errors."""

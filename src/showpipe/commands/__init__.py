"""One function per command, run the same way: the CLI parses, these do, the CLI renders."""

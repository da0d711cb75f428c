"""Checks that change nothing: the project's lint (`check`), `verify` and `doctor`."""

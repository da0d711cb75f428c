"""Moving a show here from another host: `showpipe import`."""

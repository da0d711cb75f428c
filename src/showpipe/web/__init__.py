"""The show on the web: the show page, embeds and `showpipe serve`."""

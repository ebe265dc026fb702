"""The pytest glue of a --tower run: start-up, the session, items, selection, xdist, finish."""

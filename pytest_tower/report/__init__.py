"""Ways to show a run: the terminal summary and the JSON report."""

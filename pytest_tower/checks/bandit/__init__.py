"""The bandit check type and its scan (sharded over the cores, exact findings)."""

"""The pure core: gates.toml, conditions, outcomes, the one tool runner, files.

Nothing here imports pytest: it can be read, tested and reasoned about alone."""

"""The ruff check type and what it knows of ruff's rules (enabled, known, removed)."""

"""The schemathesis check type: property-based API fuzzing in its own tool venv."""

"""The load check type: locust in its own tool venv, driven by a runner script."""

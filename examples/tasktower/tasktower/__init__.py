"""Task Tower: a small task-management JSON API, the demo that pytest-tower gates."""

__version__ = "0.1.0"

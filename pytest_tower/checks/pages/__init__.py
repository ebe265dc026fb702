"""The `pages` check type: real Chromium visits, Web Vitals and axe-core (check.py)."""

"""The wapiti check type: a DAST scan of the running application, in its own tool venv."""

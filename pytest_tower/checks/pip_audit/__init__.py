"""The pip-audit check type, its offline OSV server and its expiring waivers."""

"""threelo: OAuth 2.0 three-legged authorization for multi-site products."""

__version__ = "0.1.0"

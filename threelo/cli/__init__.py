"""The ``threelo`` command (CONTRACT §3): serve, demo, database, directory and keys."""

"""The genhus benchmark harness: ``python -m bench.run --help``."""

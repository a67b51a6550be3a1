"""Command-line adapters; the entry point is :func:`viewcast.cli.app.main`."""

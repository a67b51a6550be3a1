"""Loaders, validation and synthetic generators shared by the analyses."""

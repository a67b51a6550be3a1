"""Shared input and output: the table reader, the output writer, model folders, the registry."""

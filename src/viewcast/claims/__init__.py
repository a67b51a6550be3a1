"""claims analysis (see its issue)."""

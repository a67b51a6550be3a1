"""followers analysis (see its issue)."""

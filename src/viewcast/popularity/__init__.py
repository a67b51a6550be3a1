"""popularity analysis (see its issue)."""

"""Claims model kinds: ``linear`` (the default and its candidates), ``reference`` (the study's
network) and ``encoder`` (optional); :mod:`~viewcast.claims.models.candidates` builds them by name."""

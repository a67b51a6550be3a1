"""Views forecast for capacity planning (issue 2)."""

"""One router per concern; analysis routers only adapt JSON to ``model.predict`` and back."""

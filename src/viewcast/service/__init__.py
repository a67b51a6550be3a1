"""``viewcast serve``: every saved model behind one HTTP API (FastAPI on uvicorn).

Routers adapt JSON to each analysis' ``predict`` and back; models come from
:mod:`viewcast.io.registry` like everywhere else, so an answer equals what the CLI or the Python
API gives for the same model and input.
"""

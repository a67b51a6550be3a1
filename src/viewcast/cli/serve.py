"""``viewcast serve``: start the HTTP service over a folder of saved models."""

from __future__ import annotations

import os
from pathlib import Path

import typer


def serve_command(
    models: Path = typer.Option(
        ..., "--models", help="Folder of saved model folders (each subfolder is one model, named after it)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (127.0.0.1: this machine only)."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes."),
    max_body_size: int = typer.Option(
        4 * 1024 * 1024, "--max-body-size", min=1024, help="Largest request body in bytes (413 above)."
    ),
) -> None:
    """Serve every saved model behind one HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from viewcast.service.settings import ServiceSettings
    from viewcast.service.store import ModelStore

    settings = ServiceSettings.parse(
        models=models, max_body_size=max_body_size, api_key=os.environ.get("VIEWCAST_API_KEY") or None
    )
    store = ModelStore.load(settings.models)  # fail here, with one line, before any worker starts
    typer.echo(
        f"Serving {len(store.models)} model(s) from {settings.models} on http://{host}:{port} "
        f"({workers} worker{'s' if workers > 1 else ''}; API key {'required' if settings.api_key else 'not set'})"
    )
    os.environ.update(settings.to_env())
    uvicorn.run(
        "viewcast.service.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        # longer than clients' idle keep-alive (httpx: 5 s, the same as uvicorn's default), so the
        # server never closes a connection a client is just reusing (a refused request under load)
        timeout_keep_alive=75,
    )


def register(app: typer.Typer, synth_app: typer.Typer) -> None:
    app.command("serve")(serve_command)

"""The real thing: ``viewcast serve`` on a loopback port, asked over TCP, then stopped."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

import viewcast

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RECORD = {
    "video_transcription_text": "according to a study coffee drinkers live longer",
    "verified_status": "not verified",
    "author_ban_status": "active",
    "video_view_count": 150,
    "video_like_count": 4,
    "video_share_count": 0,
    "video_download_count": 0,
    "video_comment_count": 0,
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_ready(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read()
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url} within {seconds} s")


def test_serve_answers_on_loopback_with_the_api_key_and_stops_on_sigint(tmp_path):
    models = tmp_path / "models"
    shutil.copytree(FIXTURES / "claims_model_default_v2", models / "claims")
    port = _free_port()
    env = {**os.environ, "VIEWCAST_API_KEY": "loopback-key"}
    command = [sys.executable, "-m", "viewcast", "serve", "--models", str(models), "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, server)
        assert httpx.post(f"{url}/v1/claims/claims/predict", json=RECORD).status_code == 401
        answer = httpx.post(f"{url}/v1/claims/claims/predict", json=RECORD, headers={"X-API-Key": "loopback-key"})
        assert answer.status_code == 200
        assert answer.json() == viewcast.load_model(models / "claims").predict(RECORD)
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert f"on http://127.0.0.1:{port}" in output and "API key required" in output
    assert "Traceback" not in output

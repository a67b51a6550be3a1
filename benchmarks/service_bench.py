"""Load test of ``viewcast serve`` on 127.0.0.1 (issue 11).

Run: ``.venv/bin/python benchmarks/service_bench.py [--soak-minutes 10] [--rate 200]``. Prints a
table and writes ``benchmarks/results/service.json``.

The models are trained here on generated data (a claims classifier on 2,000 videos, a forecast of
one 365-day series) and saved into a temporary folder; the server is the real command
(``python -m viewcast serve``, one worker process) and the load comes from an async httpx client
in this process. Phases:

* ``claims single`` — open loop at ``--rate`` requests/s for 30 s (requests are sent on schedule
  whether or not earlier ones have answered, so a slow server shows up as latency, not as a
  politely lower rate);
* ``claims batch 1000`` — 40 sequential requests of 1,000 records;
* ``forecast saved`` — 100 sequential forecasts of one 365-day series with the saved model;
* ``soak`` — claims single at ``--rate`` / 2 plus one forecast a second for ``--soak-minutes``;
  the server's resident memory (``/proc/PID/status`` VmRSS) after a warm-up and at the end.

Latency is measured by the client from sending the request to reading the whole answer; the
client shares the 2 cores with the server, so the figures include its overhead. Targets: claims
single p50 <= 5 ms and p99 <= 25 ms at 200 requests/s with 0 errors; batch of 1,000 <= 100 ms;
forecast p50 <= 50 ms; memory growth over the soak <= 10%.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

import viewcast
from viewcast.io.jsonable import dumps
from viewcast.io.outputs import write_file
from viewcast.synth.claims import COLUMNS as CLAIMS_COLUMNS
from viewcast.synth.claims import generate_claims
from viewcast.synth.series import demand_series, to_long

RESULTS = Path(__file__).parent / "results" / "service.json"
#: What a client sends: the raw fields of a video, without the label and the study's ids.
RECORD_COLUMNS = [c for c in CLAIMS_COLUMNS if c not in ("#", "claim_status", "video_id", "video_duration_sec")]


def save_models(root: Path) -> tuple[list[dict], list[dict]]:
    """Train and save the served models; return claims records and one series' history to send."""
    videos = generate_claims(2000, seed=0)
    viewcast.claims(videos, seed=0).model.save(root / "claims")
    history = to_long({"creator": demand_series(365, seed=3)})
    viewcast.forecast(history, horizon=30, progress=False).model.save(root / "views")
    records = generate_claims(1000, seed=1)[RECORD_COLUMNS].to_dict("records")
    return records, history.to_dict("records")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def summary(latencies: list[float], errors: list[str], seconds: float) -> dict:
    ms = np.asarray(latencies) * 1000
    return {
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "error_kinds": {kind: errors.count(kind) for kind in sorted(set(errors))},
        "throughput_per_s": round((len(latencies) + len(errors)) / seconds, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2) if ms.size else None,
        "p99_ms": round(float(np.percentile(ms, 99)), 2) if ms.size else None,
        "max_ms": round(float(ms.max()), 2) if ms.size else None,
    }


async def timed(client: httpx.AsyncClient, path: str, body: object, latencies: list[float], errors: list[str]) -> None:
    start = time.perf_counter()
    try:
        answer = await client.post(path, json=body)
        await answer.aread()
        if answer.status_code != 200:
            errors.append(f"HTTP {answer.status_code}")
            return
    except httpx.HTTPError as exc:
        errors.append(type(exc).__name__)
        return
    latencies.append(time.perf_counter() - start)


async def open_loop(client: httpx.AsyncClient, path: str, bodies: list, rate: float, seconds: float) -> dict:
    """Send at a fixed rate for ``seconds`` (bounded: at most rate x seconds requests), then wait for all."""
    latencies: list[float] = []
    errors: list[str] = []
    tasks = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(client, path, bodies[i % len(bodies)], latencies, errors)))
    await asyncio.gather(*tasks)
    return summary(latencies, errors, time.perf_counter() - start)


async def sequential(client: httpx.AsyncClient, path: str, body: object, count: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    for _ in range(count):
        await timed(client, path, body, latencies, errors)
    return summary(latencies, errors, time.perf_counter() - start)


async def drive(url: str, pid: int, records: list[dict], history: list[dict], rate: float, soak_minutes: float) -> dict:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        forecast_body = {"model": "views", "history": history, "horizon": 30}
        await sequential(client, "/v1/claims/claims/predict", records[0], 50)  # warm-up
        await sequential(client, "/v1/forecast", forecast_body, 5)
        phases = {
            "claims_single": await open_loop(client, "/v1/claims/claims/predict", records, rate, 30),
            "claims_batch_1000": await sequential(client, "/v1/claims/claims/predict", {"records": records}, 40),
            "forecast_saved_one_series": await sequential(client, "/v1/forecast", forecast_body, 100),
        }
        before = rss_mb(pid)
        soak_seconds = soak_minutes * 60
        claims, forecasts = await asyncio.gather(
            open_loop(client, "/v1/claims/claims/predict", records, rate / 2, soak_seconds),
            open_loop(client, "/v1/forecast", [forecast_body], 1, soak_seconds),
        )
        after = rss_mb(pid)
    phases["soak"] = {
        "minutes": soak_minutes,
        "claims_single": claims,
        "forecast_saved_one_series": forecasts,
        "rss_mb_before": round(before, 1),
        "rss_mb_after": round(after, 1),
        "rss_growth": round(after / before - 1, 4),
    }
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--soak-minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="viewcast-service-bench-") as folder:
        root = Path(folder)
        records, history = save_models(root)
        port = free_port()
        command = [sys.executable, "-m", "viewcast", "serve", "--models", str(root), "--port", str(port)]
        env = {**os.environ, "VIEWCAST_PROGRESS": "0"}
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.3)
            load_before = os.getloadavg()[0]
            phases = asyncio.run(drive(url, server.pid, records, history, args.rate, args.soak_minutes))
        finally:
            server.terminate()
            server.wait(timeout=30)
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_at_start": round(load_before, 2)},
        "server": "python -m viewcast serve (uvicorn, 1 worker) on 127.0.0.1; client: httpx.AsyncClient in one process",
        "rate_per_s": args.rate,
        "phases": phases,
        "targets": {
            "claims_single_p50_ms<=5": phases["claims_single"]["p50_ms"] <= 5,
            "claims_single_p99_ms<=25": phases["claims_single"]["p99_ms"] <= 25,
            "claims_single_errors==0": phases["claims_single"]["errors"] == 0,
            "claims_batch_1000_p50_ms<=100": phases["claims_batch_1000"]["p50_ms"] <= 100,
            "forecast_saved_p50_ms<=50": phases["forecast_saved_one_series"]["p50_ms"] <= 50,
            "soak_rss_growth<=10%": phases["soak"]["rss_growth"] <= 0.10,
        },
    }
    write_file(args.out, dumps(results, indent=2) + "\n")
    for name, phase in phases.items():
        print(name, {k: v for k, v in phase.items() if not isinstance(v, dict)})
    print("targets", results["targets"])


if __name__ == "__main__":
    main()

"""Load test of the REST API: N concurrent POST /api/analyze against a real ``propscan serve`` on loopback.

Starts the server in its own process (default pipeline, a fresh SQLite store),
warms it up with one request, then fires all requests at once with an httpx
AsyncClient. Reports errors, latency percentiles and throughput, and how fast
the server kept answering a /healthz probe during the load (the event loop must
stay responsive while analysis runs in the worker thread). Writes its section of
docs/speed.md.

    nice -n 10 python bench/load.py --data ../shared/data            # 200 concurrent requests
    python bench/load.py --data ../shared/data -n 50 --no-write        # a quick look
    python bench/load.py --hostile                                      # issue 15: huge posts, leavers, SIGTERM

``--hostile`` (no data needed) sends 20 maximum-size (4.9 MB) posts at once and a
small one behind them, then 10 huge posts whose clients leave after a second,
then SIGTERM with a huge post in flight; it prints the statuses, the small
request's latency, the server's peak RSS, how long the leavers' work stayed
queued and how long the server took to stop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import ROOT, article_paths, machine, replace_section, stamp


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, db: str, workers: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PROPSCAN_API_TOKEN", None)
    cmd = [sys.executable, "-m", "propscan", "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db,
           "--workers", str(workers), "--log-level", "warning"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


async def wait_ready(client, url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if (await client.get(url + "/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("server did not start in time")


async def run_load(url: str, texts: list[str], proc: subprocess.Popen) -> dict:
    import httpx

    limits = httpx.Limits(max_connections=len(texts) + 8, max_keepalive_connections=len(texts) + 8)
    async with httpx.AsyncClient(timeout=httpx.Timeout(1800.0), limits=limits) as client:
        await wait_ready(client, url, proc)
        t0 = time.perf_counter()
        warm = await client.post(url + "/api/analyze", json={"text": "Warm-up\n\nA first, brutal request."})
        warm_s = time.perf_counter() - t0
        if warm.status_code != 200:
            raise SystemExit(f"warm-up failed: {warm.status_code} {warm.text[:300]}")
        models = warm.json().get("models", {})

        done = asyncio.Event()
        probe: list[float] = []

        probe_errors: list[str] = []

        async def probe_loop() -> None:
            # a fresh connection per probe: a reused keep-alive connection can race the server closing it
            async with httpx.AsyncClient(timeout=httpx.Timeout(600.0),
                                         limits=httpx.Limits(max_keepalive_connections=0)) as fresh:
                while not done.is_set():
                    t = time.perf_counter()
                    try:
                        await fresh.get(url + "/healthz")
                        probe.append(time.perf_counter() - t)
                    except httpx.TransportError as e:
                        probe_errors.append(type(e).__name__)
                    await asyncio.sleep(0.1)

        async def one(text: str) -> tuple[int, float, int]:
            t = time.perf_counter()
            try:
                r = await client.post(url + "/api/analyze", json={"text": text})
                status = r.status_code
                spans = len(r.json().get("spans", [])) if status == 200 else 0
            except httpx.HTTPError:
                status, spans = -1, 0
            return status, time.perf_counter() - t, spans

        prober = asyncio.create_task(probe_loop())
        start = time.perf_counter()
        results = await asyncio.gather(*(one(t) for t in texts))
        wall = time.perf_counter() - start
        done.set()
        await prober
    lat = [r[1] for r in results if r[0] == 200]
    statuses = Counter(r[0] for r in results)
    return {
        "requests": len(texts), "ok": statuses.get(200, 0),
        "errors": {str(k): v for k, v in statuses.items() if k != 200},
        "wall_s": wall, "per_s": len(texts) / wall if wall else float("nan"),
        "chars_per_s": sum(len(t) for t in texts) / wall if wall else float("nan"),
        "p50_s": percentile(lat, 0.5), "p95_s": percentile(lat, 0.95), "max_s": max(lat) if lat else float("nan"),
        "mean_s": statistics.fmean(lat) if lat else float("nan"),
        "probe_p50_ms": 1000 * percentile(probe, 0.5), "probe_p95_ms": 1000 * percentile(probe, 0.95),
        "probe_max_ms": 1000 * max(probe) if probe else float("nan"), "probes": len(probe),
        "probe_errors": dict(Counter(probe_errors)),
        "spans": sum(r[2] for r in results), "warmup_s": warm_s, "models": models,
    }


def section(res: dict, args: argparse.Namespace, n_chars: int) -> str:
    models = ", ".join(f"{k} {v}" for k, v in sorted(res["models"].items())) or "none"
    errors = ", ".join(f"{v}× HTTP {k}" for k, v in res["errors"].items()) or "none"
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    busy = (f"Other work shared the machine during this run (1-minute load average {load1:.1f} on "
            f"{os.cpu_count()} cores), so these latencies are pessimistic; rerun on an idle machine for a clean "
            "figure.\n\n") if load1 > (os.cpu_count() or 1) else ""
    probe = (f"{res['probe_p50_ms']:.0f} / {res['probe_p95_ms']:.0f} / {res['probe_max_ms']:.0f} ms "
             f"({res['probes']} probes" + (f", failed: {res['probe_errors']}" if res["probe_errors"] else "") + ")")
    return f"""## Web API under load

`nice -n 10 python bench/load.py --data {args.data} -n {args.n}` — {stamp()}.
{args.n} `POST /api/analyze` requests (JSON text, SemEval-2023 English training articles, made unique,
{n_chars / args.n:,.0f} characters on average) sent **at once** by an httpx AsyncClient to `propscan serve` on
127.0.0.1 (uvicorn, one process, {args.workers} analysis worker thread(s) taking queued requests in batches of up
to 8, fresh SQLite store). Every response is stored. Pipeline: {models}. Machine: {machine()}; the benchmark client
shares the machine with the server.

| measure | value |
|---|---|
| requests / succeeded | {res['requests']} / {res['ok']} |
| errors | {errors} |
| latency p50 | {res['p50_s']:.2f} s |
| latency p95 | {res['p95_s']:.2f} s |
| latency max | {res['max_s']:.2f} s |
| wall time for all | {res['wall_s']:.1f} s ({res['per_s']:.1f} articles/s, {res['chars_per_s'] / 1000:,.0f}k chars/s) |
| `/healthz` during the load, p50 / p95 / max | {probe} |
| first request after start (loads models) | {res['warmup_s']:.2f} s |

{busy}All requests are accepted at once and queue for the analysis worker, so latency grows with queue position:
p50 is roughly the time to analyse half the batch. The `/healthz` probe shows the event loop keeps answering
while analysis runs (CPU-bound work is off the loop); the queue refuses work with 503 only beyond
`--max-pending` (default 1000) waiting analyses.
"""


def huge_text(i: int, size: int = 4_900_000) -> str:
    """A distinct one-line article of about ``size`` bytes (cleanup keeps it whole)."""
    line = " ".join(f"Officials said point {i}-{k} of the plan would cost {k * 7 % 1000} more." for k in range(200))
    return f"Huge article {i}\n\n" + (line + " ") * (size // (len(line) + 1))


def peak_rss_mb(pid: int) -> float:
    """The peak resident set size of a running process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_hostile(url: str, proc: subprocess.Popen) -> dict:
    import httpx

    async with httpx.AsyncClient(timeout=httpx.Timeout(900.0), limits=httpx.Limits(max_connections=64)) as client:
        await wait_ready(client, url, proc)
        await client.post(url + "/api/analyze", json={"text": "Warm-up\n\nA first, brutal request."})

        async def post(text: str, timeout: float = 900.0) -> tuple[int, float]:
            t = time.perf_counter()
            try:
                r = await client.post(url + "/api/analyze", json={"text": text}, timeout=timeout)
                return r.status_code, time.perf_counter() - t
            except httpx.HTTPError:
                return -1, time.perf_counter() - t

        big = [asyncio.create_task(post(huge_text(i))) for i in range(20)]
        await asyncio.sleep(3)
        small_status, small_s = await post("Small one\n\nThe council met on Monday, officials said.")
        big_res = await asyncio.gather(*big)
        rss = peak_rss_mb(proc.pid)

        leavers = await asyncio.gather(*(post(huge_text(100 + i), timeout=1.0) for i in range(10)))
        t = time.perf_counter()
        pending = -1
        while time.perf_counter() - t < 600:
            pending = (await client.get(url + "/healthz")).json().get("pending", 0)
            if pending == 0:
                break
            await asyncio.sleep(0.2)
        drained_s = time.perf_counter() - t

        inflight = asyncio.create_task(post(huge_text(200)))
        await asyncio.sleep(1.5)
        t = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        while proc.poll() is None and time.perf_counter() - t < 300:
            await asyncio.sleep(0.05)
        stop_s = time.perf_counter() - t
        inflight.cancel()
    return {"huge_posts": dict(Counter(s for s, _ in big_res)), "small_status": small_status,
            "small_latency_s": round(small_s, 1), "peak_rss_mb": round(rss),
            "leavers": dict(Counter(s for s, _ in leavers)), "leavers_queue_drained_s": round(drained_s, 1),
            "pending_after": pending, "sigterm_stop_s": round(stop_s, 1), "exit": proc.poll()}


def hostile() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(port, str(Path(tmp) / "hostile.db"), 1)
        try:
            res = asyncio.run(run_hostile(f"http://127.0.0.1:{port}", proc))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    print(json.dumps(res, indent=2))
    return 0


def main() -> int:
    if "--hostile" in sys.argv[1:]:
        return hostile()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="folder holding semeval2023-task3 (e.g. ../shared/data)")
    ap.add_argument("-n", type=int, default=200, help="concurrent requests (default 200)")
    ap.add_argument("--workers", type=int, default=1, help="server analysis threads (default 1)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "speed.md"), help="markdown file to update")
    ap.add_argument("--no-write", action="store_true", help="print only, do not touch docs/speed.md")
    args = ap.parse_args()

    texts = []
    for i, p in enumerate(article_paths(args.data, args.n)):
        texts.append(p.read_text(encoding="utf-8") + f"\n(load test request {i})\n")
    n_chars = sum(len(t) for t in texts)
    # a SIGTERM (e.g. from `timeout`) must still stop the server below
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(port, str(Path(tmp) / "load.db"), args.workers)
        try:
            res = asyncio.run(run_load(f"http://127.0.0.1:{port}", texts, proc))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    print(json.dumps(res, indent=2))
    if not args.no_write:
        replace_section(Path(args.out), "load", section(res, args, n_chars), "Speed")
        print(f"written to {args.out}")
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

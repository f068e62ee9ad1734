"""Load test of `incident-roles serve` on loopback: starts the server itself, runs a bounded number of
concurrent clients for a bounded time, and reports requests/s, words/s, p50/p95/p99 latency and failed
requests (the goal: none).

    python eval/serve_load.py --model models/minilm
    python eval/serve_load.py --model models/minilm --onnx --clients 8 --seconds 60

Each client posts one report at a time to POST /extract (texts of --data in turn, each client starting
at its own offset) and waits for the answer before the next: a closed loop, so the load grows with
--clients, never past it. A request fails on a non-200 answer, a timeout or a broken connection.
Writes eval/results/<model>/serve.md and serve.json. The clients run on the server's machine and take
some of its CPU; the figures are for this machine, as is, and vary between runs: compare ratios.
"""
import argparse
import json
import os
import platform
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a clone without installing

from incident_roles.corpus.jsonl import read_jsonl  # noqa: E402
from incident_roles.evaluation.crossval import now_utc, stamp  # noqa: E402
from incident_roles.evaluation.speed import count_words  # noqa: E402

MAX_CLIENTS, MAX_SECONDS = 64, 600  # bounds: this is a measurement, not a stress test


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model, port, onnx=False, threads=None, startup_timeout=180.0):
    """`python -m incident_roles serve` on 127.0.0.1:port, returned once /health answers."""
    import httpx

    cmd = [sys.executable, "-m", "incident_roles", "serve", "--model", str(model), "--host", "127.0.0.1",
           "--port", str(port)] + (["--onnx"] if onnx else []) + (["--threads", str(threads)] if threads else [])
    log = open(os.devnull, "w")  # the server's access log would print a line per request
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
        try:
            health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json()
            return proc, health
        except httpx.HTTPError:
            time.sleep(0.25)
    proc.kill()
    raise RuntimeError(f"the server did not answer /health within {startup_timeout:.0f} s")


def percentile(sorted_values, q):
    """The q-th percentile (0-100) by linear interpolation between the closest ranks."""
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def run_load(url, texts, clients, seconds, timeout=60.0) -> dict:
    """``clients`` threads posting texts to ``url`` for ``seconds``; latencies of successful requests."""
    import httpx

    latencies, failures, words = [], [], [0]
    lock = threading.Lock()
    start = time.monotonic()
    stop = start + seconds

    def client(k):
        with httpx.Client(timeout=timeout) as http:
            i = k * len(texts) // clients
            while time.monotonic() < stop:
                text = texts[i % len(texts)]
                i += 1
                t0 = time.perf_counter()
                try:
                    r = http.post(url, json={"text": text})
                    ok, why = r.status_code == 200, f"HTTP {r.status_code}: {r.text[:200]}"
                except httpx.HTTPError as e:
                    ok, why = False, f"{type(e).__name__}: {e}"
                elapsed = time.perf_counter() - t0
                with lock:
                    if ok:
                        latencies.append(elapsed)
                        words[0] += count_words([text])
                    else:
                        failures.append(why)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start  # includes the requests still in flight at `stop`
    lat = sorted(latencies)
    ms = lambda q: None if not lat else round(percentile(lat, q) * 1000, 1)  # noqa: E731
    return {"clients": clients, "seconds": round(wall, 2), "requests": len(lat) + len(failures),
            "ok": len(lat), "failed": len(failures), "failures": failures[:10],
            "requests_per_s": round(len(lat) / wall, 2), "words_per_s": round(words[0] / wall, 1),
            "latency_ms": {"p50": ms(50), "p95": ms(95), "p99": ms(99), "max": ms(100)}}


def format_markdown(result: dict, header: str) -> str:
    r, lat = result, result["latency_ms"]
    lines = [f"# Serving load test: {r['model']}", "", header, "",
             f"`incident-roles serve` ({r['backend']}) on 127.0.0.1, {r['clients']} concurrent clients in a "
             f"closed loop for {r['seconds']} s, POST /extract with the reports of `{r['data']}` "
             f"({r['texts']} reports, {r['mean_words']} words on average); CPU: {r['cpu']}.", "",
             "| requests | failed | requests/s | words/s | p50 ms | p95 ms | p99 ms | max ms |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|",
             f"| {r['requests']} | {r['failed']} | {r['requests_per_s']} | {r['words_per_s']} | {lat['p50']} | "
             f"{lat['p95']} | {lat['p99']} | {lat['max']} |", ""]
    if r["failed"]:
        lines += ["Failures (first 10):", ""] + [f"- {f}" for f in r["failures"]] + [""]
    lines += ["Latency is the client's: from sending a request to reading the whole answer, queueing in "
              "the server included. The clients share the server's CPU.", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="saved model folder, e.g. models/minilm")
    parser.add_argument("--onnx", action="store_true", help="serve the int8 ONNX export")
    parser.add_argument("--data", default="data/processed/test.jsonl", help="JSONL whose texts are sent")
    parser.add_argument("--clients", type=int, default=4, help=f"concurrent clients (at most {MAX_CLIENTS})")
    parser.add_argument("--seconds", type=float, default=30, help=f"duration (at most {MAX_SECONDS})")
    parser.add_argument("--threads", type=int, help="the server's model threads (default: all cores)")
    parser.add_argument("--out", help="results folder (default eval/results/<model name>)")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--clients must be 1..{MAX_CLIENTS} and --seconds 0..{MAX_SECONDS}")
    if not (Path(args.model) / "config.json").exists():
        parser.error(f"{args.model}: not a saved model folder (no config.json)")
    try:
        texts = [r["text"] for r in read_jsonl(args.data)]
    except (ValueError, FileNotFoundError) as e:
        parser.error(f"{e} (make data writes data/processed/test.jsonl)")
    command = " ".join(["python", "eval/serve_load.py", *map(shlex.quote, sys.argv[1:] if argv is None else argv)])
    port = free_port()
    proc, health = start_server(Path(args.model).resolve(), port, args.onnx, args.threads)
    try:
        run_load(f"http://127.0.0.1:{port}/extract", texts[:1], 1, 0.01)  # warm-up: first call costs more
        result = run_load(f"http://127.0.0.1:{port}/extract", texts, args.clients, args.seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    result.update({"model": args.model, "backend": health["backend"], "data": args.data, "texts": len(texts),
                   "mean_words": round(count_words(texts) / max(1, len(texts))), "command": command,
                   "date": now_utc(), "cpu": f"{platform.machine()}, {os.cpu_count()} cores"})
    out = Path(args.out or ROOT / "eval" / "results" / Path(args.model).name)
    out.mkdir(parents=True, exist_ok=True)
    (out / "serve.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    markdown = format_markdown(result, f"Command: {stamp(command)}")
    (out / "serve.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"wrote {out / 'serve.md'} and {out / 'serve.json'}")
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

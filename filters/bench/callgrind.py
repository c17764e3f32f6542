#!/usr/bin/env python3
"""Instructions per request through Envoy under callgrind, for the benchmark's configurations.

`run.py` measures requests per second, which move with whatever else the machine is doing;
this counts the instructions Envoy executes per request, which do not. Each configuration gets
an Envoy of its own (one worker) under `valgrind --tool=callgrind`; after a warm-up that lets V8
tier the Wasm code up, the counters are zeroed, a fixed number of keep-alive requests is sent,
and the counters are dumped: the total over every thread, divided by the number of requests.
Each measurement is repeated on the same Envoy, so the spread shows the noise of the method
(the main thread's timers, mostly).

The configurations, listeners and Host headers are `run.py`'s, so the two agree on what they
measure. Slow: Envoy under callgrind takes a minute or two to start, and a request costs about
a millisecond. Run by hand:

    python3 filters/bench/callgrind.py --envoy ENVOY --modules target/wasm32-wasip1/filter \\
        none floor outputs-floor meshroute-1 meshroute-10000
"""

import argparse
import glob
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # No __pycache__ beside the sources.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402


DEFAULT = ("none", "floor", "outputs-floor", "meshroute-1", "meshroute-10000")


def send(address, port, host, count):
    """`count` requests on one keep-alive connection, as wrk sends them; a list of hosts is
    sent in turn."""
    hosts = host if isinstance(host, list) else [host]
    connection = http.client.HTTPConnection(address, port, timeout=300)
    try:
        for index in range(count):
            host = hosts[index % len(hosts)]
            connection.request("GET", "/", headers={"Host": host, "User-Agent": "callgrind"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{host}: status {response.status}")
    finally:
        connection.close()


def total_instructions(dump):
    text = Path(dump).read_text(errors="replace")
    found = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M)
    if not found:
        raise RuntimeError(f"{dump}: no instruction total")
    return int(found.group(1))


def measure(name, wasm, host, envoy, address, port, warmup, requests, repeats):
    workdir = Path(tempfile.mkdtemp(prefix=f"meshroute-callgrind-{name}-"))
    (workdir / "envoy.json").write_text(json.dumps(run.envoy_config(address, port, wasm)))
    out = workdir / "callgrind.out"
    admin_file = workdir / "admin.txt"
    command = [
        "valgrind", "--tool=callgrind", "--smc-check=all-non-file",
        f"--callgrind-out-file={out}", str(envoy), "-c", str(workdir / "envoy.json"),
        "--concurrency", "1", "--disable-hot-restart", "--admin-address-path", str(admin_file),
        "--log-level", "warn",
    ]
    with open(workdir / "envoy.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 1800
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name}: Envoy did not start; see {workdir / 'envoy.log'}")
            text = admin_file.read_text().strip() if admin_file.exists() else ""
            if text:
                admin_host, _, admin_port = text.rpartition(":")
                try:
                    if run.http_get((admin_host, int(admin_port)), "/ready")[0] == 200:
                        break
                except OSError:
                    pass
            time.sleep(2)
        send(address, port, host, warmup)
        results = []
        for _ in range(repeats):
            subprocess.run(["callgrind_control", "-z", str(process.pid)], capture_output=True,
                           check=True)
            send(address, port, host, requests)
            before = set(glob.glob(f"{out}*"))
            subprocess.run(["callgrind_control", "-d", str(process.pid)], capture_output=True,
                           check=True)
            dumps = sorted(set(glob.glob(f"{out}*")) - before, key=os.path.getmtime)
            if not dumps:
                raise RuntimeError(f"{name}: callgrind wrote no dump")
            results.append(total_instructions(dumps[-1]) / requests)
        return results
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envoy", required=True, help="the Envoy binary (V8 Wasm)")
    parser.add_argument("--modules", default=str(run.ROOT / "target/wasm32-wasip1/filter"))
    parser.add_argument("--warmup", type=int, default=4000, help="requests before measuring")
    parser.add_argument("--requests", type=int, default=3000, help="requests per measurement")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--first-address", type=int, default=100,
                        help="listeners on 127.0.0.N from this N, so two runs can overlap")
    parser.add_argument("--out", help="also write the results to this JSON file")
    parser.add_argument("configurations", nargs="*",
                        help=f"labels as run.py prints them (default: {' '.join(DEFAULT)})")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")

    runs = {label: (wasm, host) for label, wasm, host in run.runs(Path(args.modules), args.port)}
    wanted = args.configurations or list(DEFAULT)
    unknown = [name for name in wanted if name not in runs]
    if unknown:
        sys.exit(f"unknown configurations {unknown}; known: {list(runs)}")
    results = {}
    for index, name in enumerate(wanted):
        wasm, host = runs[name]
        started = time.monotonic()
        address = f"127.0.0.{args.first_address + index}"
        results[name] = measure(name, wasm, host, args.envoy, address, args.port, args.warmup,
                                args.requests, args.repeats)
        print(f"{name:<30} instructions/request: "
              + "  ".join(f"{value:>9,.0f}" for value in results[name])
              + f"   ({time.monotonic() - started:.0f} s)", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

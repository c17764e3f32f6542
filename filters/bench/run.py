#!/usr/bin/env python3
"""The filter benchmark behind `make bench-filter`: what meshroute-filter costs Envoy per request.

Six Envoys, each with one worker and a listener on loopback that answers every request itself
(a direct response, so no upstream is measured): no Wasm filter; the floor filter (reads
`:authority`, sets one header: the least a Rust proxy-wasm HTTP filter costs); the outputs floor
(below); and meshroute-filter with 1, 1,000 and 10,000 generated ServiceEntries. A seventh, a
second outputs floor, is the paired runs' control. The modules' sizes and the memory a Wasm VM
holds with 10,000 ServiceEntries come last.

Two ways of driving them, both reported:
- In turn, as issue 5 point 8 describes: `wrk` drives each Envoy alone on its core, round after
  round; the table gives the median requests per second of each and their ratios. On a shared
  virtual machine these rates move by tens of percent between runs of one configuration, a
  second apart or ten, so ratios of medians of a few runs are good to no better than ±10 %.
- Paired, which the targets are judged on: the reference and the measured Envoy run at the same
  time on the same core, each driven by its own `wrk` with enough connections that neither
  ever waits for a request, so the scheduler gives each half the core (the report shows the
  shares). Whatever slows the machine at that moment slows both, and the ratio of their rates
  is the ratio of what a request costs in each. Rounds alternate which `wrk` starts first.
  The control pair, the outputs floor against its twin, shows the method's own error: on the
  2-core VM this was written on, within ±2 % of 1 per run, where runs in turn scattered by ±25 %.

Two floors, because issue 5 asks two things of the same number. Point 8's target is
meshroute-filter at 0.95 of the floor filter's rate, "i.e. the routing evaluation adds under 5 %
to the unavoidable Wasm cost". Point 3 requires outputs on every request: six filter-state
values for a ServiceEntry-matched request, a counter, and the drift check that reads the
cluster Envoy used. Those are host calls, and Envoy charges for them whatever computes their
values, so against the floor filter they count as "routing evaluation" although no routing
decision could avoid them. The outputs floor (`filters/outputs-floor`) makes exactly those calls
with constant values and evaluates nothing: the least any filter producing point 3's outputs can
cost. So the report gives both:
- meshroute / floor, point 8's target as written, PASS or MISS as measured;
- meshroute / outputs floor, the same 0.95 threshold applied to what the routing evaluation
  itself adds, which is the intent point 8 states.
Neither replaces the other; a MISS of the first is reported as a MISS. The direct response
names no cluster, so every request here disagrees with the predicted one and takes the drift
path (one more counter increment, a log line at the 1st, 2nd, 4th... time); the outputs floor
compares with a constant cluster and does the same, so the two stay comparable.

meshroute-filter keeps each answer per authority and destination (`answers.rs`), so a run that
sends one host all the time measures the kept answer: what every request but the first to a
host costs. The `rotating` run sends the largest mesh's 3,750 `api-N` hosts in turn, more than
the filter keeps, so every request there is evaluated; it is reported against the outputs floor
as well.

Nothing is built here: `make bench-filter` builds the modules and installs Envoy and wrk first.
Traffic stays on 127.0.0.0/8, and every process started here is ended on the way out.
`callgrind.py` beside this file counts instructions per request for the same configurations.
"""

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZES = (1, 1_000, 10_000)
NAMESPACE = "default"
# A host no generated entry names: meshroute-filter takes its unregistered-host path.
UNREGISTERED_HOST = "not-registered.example.net"

# Targets of issue 5, point 8.
MIN_RATIO_TO_FLOOR = 0.95
# "Does not grow with the number of ServiceEntries": 10,000 entries within this of 1 entry.
MIN_RATIO_10K_TO_1 = 0.95
MAX_MODULE_BYTES = 1_000_000
MAX_VM_BYTES = 32 * 1024 * 1024

# How far from 1 the control pair's median may be before the paired runs are reported as
# untrustworthy: on a 2-core VM, 3 s runs kept it within 0.01; 1 s runs drifted to 0.07.
MAX_CONTROL_ERROR = 0.03
# A second Envoy with the outputs floor: paired with the first, it shows the paired runs' error.
TWIN = "outputs-floor-twin"
LARGEST = f"meshroute-{SIZES[-1]}"
# The largest mesh plus a VirtualService that routes another host on a header: requests to that
# host are evaluated every time, but the measured host's answer is still kept.
HEADER_ROUTE = f"{LARGEST}-header-route"
# The paired comparisons: (reference, measured, the least ratio that passes or None for a
# ratio only reported, what the ratio says).
PAIRS = (
    [("outputs-floor", TWIN, None,
      "control: one filter twice, so anything but 1 is the method's error"),
     ("floor", "outputs-floor", None, "what point 3's outputs cost with no routing evaluation")]
    + [("floor", f"meshroute-{n}", MIN_RATIO_TO_FLOOR, "issue 5 point 8 as written")
       for n in SIZES]
    + [("outputs-floor", f"meshroute-{n}", MIN_RATIO_TO_FLOOR,
        "point 8's intent: the routing evaluation beyond point 3's outputs") for n in SIZES]
    + [("outputs-floor", f"{LARGEST} unregistered", MIN_RATIO_TO_FLOOR,
        "an unregistered host (passthrough)"),
       ("outputs-floor", f"{LARGEST} rotating", MIN_RATIO_TO_FLOOR,
        "every request evaluated: the first request to a host, no kept answer"),
       ("outputs-floor", HEADER_ROUTE, MIN_RATIO_TO_FLOOR,
        "another host's VirtualService routes on a header: this host's answer is still kept"),
       (f"meshroute-{SIZES[0]}", LARGEST, MIN_RATIO_10K_TO_1,
        "per-request cost flat in the number of entries")]
)


# --- the generated mesh ----------------------------------------------------------------------


def service_entries(count, http_port):
    """`count` ServiceEntries in a realistic mix, and the host of the last HTTP one.

    Of every eight: three DNS entries for external APIs (HTTP on the listener's port and TLS on
    443), one DNS entry with HTTP alone, two STATIC entries with a CIDR and endpoints, one
    wildcard NONE entry on TLS 443 and one wildcard NONE entry on HTTP. HTTP entries use the
    listener's port, so every one of them lands in the route table the request is looked up
    in, as all port-80 entries of a mesh share the sidecar's `80` route configuration.
    Namespaces are spread over fifty teams and exported everywhere, so the caller in `default`
    sees all of them.
    """
    docs = []
    hit = None
    for idx in range(count):
        namespace = f"team-{idx % 50}"
        kind = idx % 8
        head = (
            "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n"
            f"  name: se-{idx}\n  namespace: {namespace}\nspec:\n"
        )
        if kind in (0, 1, 2):
            host = f"api-{idx}.example.com"
            body = (
                f"  hosts:\n  - {host}\n  ports:\n"
                f"  - number: {http_port}\n    name: http\n    protocol: HTTP\n"
                "  - number: 443\n    name: tls\n    protocol: TLS\n"
                "  resolution: DNS\n  location: MESH_EXTERNAL\n"
            )
            hit = (host, f"{namespace}/se-{idx}")
        elif kind == 3:
            host = f"legacy-{idx}.partner.example"
            body = (
                f"  hosts:\n  - {host}\n  ports:\n"
                f"  - number: {http_port}\n    name: http-web\n    protocol: HTTP\n"
                "  resolution: DNS\n  location: MESH_EXTERNAL\n"
            )
            hit = (host, f"{namespace}/se-{idx}")
        elif kind in (4, 5):
            octets = f"{idx // 256 % 256}.{idx % 256}"
            body = (
                f"  hosts:\n  - svc-{idx}.internal.example\n  addresses:\n  - 10.{octets}.0/24\n"
                f"  ports:\n  - number: {http_port}\n    name: http\n    protocol: HTTP\n"
                "  resolution: STATIC\n  location: MESH_INTERNAL\n"
                f"  endpoints:\n  - address: 10.{octets}.10\n  - address: 10.{octets}.11\n"
            )
        elif kind == 6:
            body = (
                f'  hosts:\n  - "*.zone-{idx}.example.org"\n'
                "  ports:\n  - number: 443\n    name: tls\n    protocol: TLS\n"
                "  resolution: NONE\n  location: MESH_EXTERNAL\n"
            )
        else:
            body = (
                f'  hosts:\n  - "*.cdn-{idx}.example.net"\n'
                f"  ports:\n  - number: {http_port}\n    name: http\n    protocol: HTTP\n"
                "  resolution: NONE\n  location: MESH_EXTERNAL\n"
            )
        docs.append(head + body)
    return "---\n".join(docs), hit


def header_route():
    """A VirtualService for the first generated host (`api-0.example.com`) that sends requests
    with `x-canary: yes` to another entry's host, and the rest to its own."""
    return (
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
        "metadata:\n  name: canary\n  namespace: team-0\n"
        "spec:\n  hosts:\n  - api-0.example.com\n  http:\n"
        "  - match:\n    - headers:\n        x-canary:\n          exact: 'yes'\n"
        "    route:\n    - destination:\n        host: api-8.example.com\n"
        "  - route:\n    - destination:\n        host: api-0.example.com\n"
    )


MODULES = {"meshroute": "meshroute_filter.wasm", "floor": "floor_filter.wasm",
           "outputs-floor": "outputs_floor.wasm"}


def configurations(modules, port):
    """(name, wasm, hit) of each Envoy: `wasm` is (module, root id, plugin configuration) or
    None, `hit` the registered host and `namespace/name` of its entry, or None."""
    configs = [
        ("none", None, None),
        ("floor", (modules / MODULES["floor"], "floor", ""), None),
        ("outputs-floor", (modules / MODULES["outputs-floor"], "outputs-floor", ""), None),
    ]
    for size in SIZES:
        text, hit = service_entries(size, port)
        plugin = json.dumps({"resources": text, "namespace": NAMESPACE})
        configs.append((f"meshroute-{size}", (modules / MODULES["meshroute"], "meshroute", plugin),
                        hit))
    text, hit = service_entries(SIZES[-1], port)
    plugin = json.dumps({"resources": f"{text}---\n{header_route()}", "namespace": NAMESPACE})
    configs.append((HEADER_ROUTE, (modules / MODULES["meshroute"], "meshroute", plugin), hit))
    return configs


def rotating_hosts(port):
    """Every `api-N.example.com` host of the largest mesh (DNS entries on the HTTP port)."""
    text, _ = service_entries(SIZES[-1], port)
    return re.findall(r"^  - (api-\d+\.example\.com)$", text, re.M)


def runs(modules, port, configs=None):
    """(label, wasm, Host header) of each measurement. meshroute-N is sent the host of its
    mesh's last HTTP entry, the others (which ignore it) the largest mesh's; then meshroute
    with a host no entry names, which takes the unregistered-host path (passthrough, a counter
    of its own); then the largest mesh with the Host rotating over all its `api-N` entries,
    far more than the filter keeps answers for (`answers::CAPACITY`), so that every request is
    evaluated: what the first request to a host costs. A list of hosts is such a rotation."""
    configs = configs or configurations(modules, port)
    hits = {name: hit for name, _, hit in configs}
    default_host = hits[f"meshroute-{SIZES[-1]}"][0]
    out = [(name, wasm, hit[0] if hit else default_host) for name, wasm, hit in configs]
    for name, wasm, _ in configs:
        if name in [f"meshroute-{size}" for size in SIZES]:
            out.append((f"{name} unregistered", wasm, UNREGISTERED_HOST))
    largest = f"meshroute-{SIZES[-1]}"
    wasm = next(wasm for name, wasm, _ in configs if name == largest)
    out.append((f"{largest} rotating", wasm, rotating_hosts(port)))
    return out


def first_host(host):
    return host[0] if isinstance(host, list) else host


# --- Envoy -----------------------------------------------------------------------------------


def envoy_config(address, port, wasm):
    """A bootstrap: one listener, HCM, the Wasm filter if any, and a router answering 200.

    `/_check` answers with what the filters left behind (the floor's header and meshroute's
    filter state), so the script can see each module ran; every other path is the bare 200
    the benchmark measures. Both routes exist in every configuration, so all pay the same.
    """
    http_filters = []
    if wasm is not None:
        module, root_id, configuration = wasm
        http_filters.append(
            {
                "name": "envoy.filters.http.wasm",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                    "config": {
                        "name": root_id,
                        "root_id": root_id,
                        "configuration": {
                            "@type": "type.googleapis.com/google.protobuf.StringValue",
                            "value": configuration,
                        },
                        "vm_config": {
                            "vm_id": root_id,
                            "runtime": "envoy.wasm.runtime.v8",
                            "code": {"local": {"filename": str(module)}},
                        },
                    },
                },
            }
        )
    http_filters.append(
        {
            "name": "envoy.filters.http.router",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
            },
        }
    )
    check_headers = [
        ("x-floor", "%REQ(x-floor)%"),
        ("x-service-entry", "%FILTER_STATE(wasm.meshroute.service_entry:PLAIN)%"),
        ("x-outcome", "%FILTER_STATE(wasm.meshroute.outcome:PLAIN)%"),
    ]
    routes = [
        {
            "match": {"path": "/_check"},
            "direct_response": {"status": 200},
            "response_headers_to_add": [
                {"header": {"key": key, "value": value}} for key, value in check_headers
            ],
        },
        {
            "match": {"prefix": "/"},
            "direct_response": {"status": 200, "body": {"inline_string": "ok\n"}},
        },
    ]
    hcm = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network."
        "http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "bench",
        "codec_type": "HTTP1",
        "route_config": {
            "name": "bench",
            "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": routes}],
        },
        "http_filters": http_filters,
    }
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
        "static_resources": {
            "listeners": [
                {
                    "name": "bench",
                    "address": {"socket_address": {"address": address, "port_value": port}},
                    "filter_chains": [
                        {
                            "filters": [
                                {"name": "envoy.filters.network.http_connection_manager",
                                 "typed_config": hcm}
                            ]
                        }
                    ],
                }
            ]
        },
    }


class Envoy:
    """One Envoy with one worker, started on `cpu` when the machine has cores to spare."""

    def __init__(self, name, binary, workdir, address, port, wasm, cpu):
        self.name = name
        self.address = address
        self.port = port
        self.dir = workdir / name
        self.dir.mkdir()
        config = self.dir / "envoy.json"
        config.write_text(json.dumps(envoy_config(address, port, wasm)))
        self.admin_file = self.dir / "admin.txt"
        self.log = self.dir / "envoy.log"
        command = [
            str(binary), "-c", str(config), "--concurrency", "1", "--disable-hot-restart",
            "--admin-address-path", str(self.admin_file), "--log-level", "warn",
        ]
        if cpu is not None:
            command = ["taskset", "-c", str(cpu)] + command
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.admin = None

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: Envoy exited ({self.process.returncode}); "
                                   f"see {self.log}:\n{tail(self.log)}")
            if self.admin is None and self.admin_file.exists():
                text = self.admin_file.read_text().strip()
                if text:
                    host, _, port = text.rpartition(":")
                    self.admin = (host, int(port))
            if self.admin is not None:
                try:
                    status, _, body = http_get(self.admin, "/ready")
                    if status == 200 and body.strip() == b"LIVE":
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name}: Envoy not ready after {timeout} s; see {self.log}")

    def admin_get(self, path):
        status, _, body = http_get(self.admin, path)
        if status != 200:
            raise RuntimeError(f"{self.name}: admin {path} answered {status}")
        return body.decode()

    def counters(self, needle):
        """The sum of the counters whose name contains `needle`."""
        total = 0
        for line in self.admin_get(f"/stats?filter={needle}&usedonly").splitlines():
            name, _, value = line.rpartition(": ")
            if needle in name and value.isdigit():
                total += int(value)
        return total

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def http_get(address, path, host=None):
    connection = http.client.HTTPConnection(address[0], address[1], timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host} if host else {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def tail(path, lines=20):
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- memory ----------------------------------------------------------------------------------


def wasm_memories(pid):
    """The committed size of each Wasm VM's linear memory in the process, in bytes.

    V8 reserves a guarded region of several GiB for every Wasm memory and makes its first pages
    readable and writable as the module grows the memory, so each memory shows in
    /proc/PID/smaps as an anonymous `rw-p` mapping of exactly `memory.size` pages directly
    followed by an inaccessible `---p` reservation of 4 GiB or more. Linear memory never
    shrinks, so this is the VM's high-water mark.
    """
    mappings = []
    try:
        text = Path(f"/proc/{pid}/smaps").read_text()
    except OSError:
        return []
    for line in text.splitlines():
        head = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(\S*)", line)
        if head:
            start, end = int(head[1], 16), int(head[2], 16)
            anonymous = head[4] == "0" and not head[5]
            mappings.append((start, end, head[3], anonymous))
    memories = []
    for before, reserve in zip(mappings, mappings[1:]):
        if (reserve[2] == "---p" and reserve[3] and reserve[1] - reserve[0] >= 4 << 30
                and before[1] == reserve[0] and before[2] == "rw-p" and before[3]):
            memories.append(before[1] - before[0])
    return sorted(memories)


def process_rss(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return None


def memory_report(envoy):
    memory = json.loads(envoy.admin_get("/memory"))
    return {
        "envoy_allocated": int(memory["allocated"]),
        "envoy_heap_size": int(memory["heap_size"]),
        "process_rss": process_rss(envoy.process.pid),
        "wasm_linear_memories": wasm_memories(envoy.process.pid),
    }


# --- wrk -------------------------------------------------------------------------------------


def cpu_ns(pid):
    """Nanoseconds every thread of the process has spent on a CPU (/proc/PID/task/*/schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            pass
    return total


class Wrk:
    """One wrk process driving `envoy` for `seconds`, started at once; `finish` waits for it."""

    def __init__(self, envoy, host, seconds, connections, cpu):
        self.envoy = envoy
        self.seconds = seconds
        if isinstance(host, list):
            # One host after the other, from a Lua table (wrk's scripting interface).
            self.script = Path(tempfile.mkstemp(prefix="meshroute-hosts-", suffix=".lua")[1])
            self.script.write_text(
                "local hosts = {" + ",".join(json.dumps(h) for h in host) + "}\n"
                "local i = 0\n"
                "request = function()\n"
                "  i = i % #hosts + 1\n"
                '  return wrk.format("GET", "/", {Host = hosts[i]})\n'
                "end\n")
            header = ["-s", str(self.script)]
        else:
            self.script, header = None, ["-H", f"Host: {host}"]
        command = [
            "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", *header,
            f"http://{envoy.address}:{envoy.port}/",
        ]
        if cpu is not None:
            command = ["taskset", "-c", str(cpu)] + command
        self.cpu_before = cpu_ns(envoy.process.pid)
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)

    def finish(self):
        """(requests per second, requests, Envoy CPU nanoseconds spent meanwhile)."""
        try:
            output, errors = self.process.communicate(timeout=self.seconds + 30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise RuntimeError(f"wrk against {self.envoy.name} did not end")
        finally:
            if self.script is not None:
                self.script.unlink(missing_ok=True)
        spent = cpu_ns(self.envoy.process.pid) - self.cpu_before
        rate = re.search(r"Requests/sec:\s+([0-9.]+)", output)
        count = re.search(r"(\d+) requests in", output)
        if self.process.returncode != 0 or not rate or not count:
            raise RuntimeError(f"wrk against {self.envoy.name} failed:\n{output}{errors}")
        for problem in ("Non-2xx or 3xx responses", "Socket errors"):
            if problem in output:
                raise RuntimeError(f"wrk against {self.envoy.name}: {problem}:\n{output}")
        return float(rate.group(1)), int(count.group(1)), spent

    def stop(self):
        """Ends the run if it is still going (after another run failed); idempotent."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.script is not None:
            self.script.unlink(missing_ok=True)


def run_wrk(envoy, host, seconds, connections, cpu):
    """One wrk run: requests per second, and the Envoy CPU time each request took.

    The CPU time per request is what a worker with a core to itself would pay, so it stays
    meaningful when other work on the machine takes CPU from Envoy and the rate drops.
    """
    rate, count, spent = Wrk(envoy, host, seconds, connections, cpu).finish()
    return rate, spent / 1000 / count


def run_pair(first, second, seconds, connections, cpu):
    """Two Envoys driven at the same time, each by its own wrk: `first` and `second` are
    (envoy, host). Returns, for each, (requests per second, share of one CPU its threads used).

    The Envoys share a core, so whatever else the machine does at that moment slows both
    alike, and their rates compare the cost of a request in each under the same conditions.
    """
    runs = [Wrk(envoy, host, seconds, connections, cpu) for envoy, host in (first, second)]
    try:
        return [(rate, spent / (seconds * 1e9))
                for rate, _, spent in (wrk.finish() for wrk in runs)]
    finally:
        # A failed first run must not leave the second wrk running.
        for wrk in runs:
            wrk.stop()


# --- the run ---------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envoy", required=True, help="the Envoy binary (V8 Wasm)")
    parser.add_argument("--modules", default=str(ROOT / "target/wasm32-wasip1/filter"),
                        help="directory holding the modules (`make filter` builds them)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of runs in turn")
    parser.add_argument("--seconds", type=int, default=6, help="length of one wrk run in turn")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of wrk before round 1")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--pair-rounds", type=int, default=8,
                        help="rounds of paired runs (two Envoys at once on one core)")
    parser.add_argument("--pair-seconds", type=int, default=3, help="length of one paired run")
    parser.add_argument("--pair-connections", type=int, default=64,
                        help="connections of each wrk in a paired run: enough that neither "
                        "Envoy waits for requests, so the core is shared evenly")
    parser.add_argument("--port", type=int, default=8080,
                        help="the listeners' port, also the ServiceEntries' HTTP port")
    parser.add_argument("--out", default=str(ROOT / "target/bench-filter.json"))
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a target is missed (else only on errors)")
    args = parser.parse_args()

    modules = Path(args.modules)
    for path in (modules / name for name in MODULES.values()):
        if not path.is_file():
            sys.exit(f"{path} is missing; `make filter` builds it")
    for tool in ("wrk",):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed; `make bench-filter` installs it")

    # Envoy on one core, wrk on the other; with a single core they share it.
    cores = os.cpu_count() or 1
    pin = cores >= 2 and shutil.which("taskset") is not None
    envoy_cpu, wrk_cpu = (1, 0) if pin else (None, None)

    configs = configurations(modules, args.port)
    # The paired runs' control: a second outputs floor, compared with the first.
    twin = next(wasm for name, wasm, _ in configs if name == "outputs-floor")
    envoy_configs = configs + [(TWIN, twin, None)]

    workdir = Path(tempfile.mkdtemp(prefix="meshroute-bench-"))
    envoys = []

    def stop_all(*_):
        for envoy in envoys:
            envoy.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    load_before = os.getloadavg()
    try:
        print(f"starting {len(envoy_configs)} Envoys (one worker each"
              f"{f', on CPU {envoy_cpu}; wrk on CPU {wrk_cpu}' if pin else ''})", flush=True)
        for index, (name, wasm, _) in enumerate(envoy_configs):
            envoys.append(Envoy(name, args.envoy, workdir, f"127.0.0.{index + 2}", args.port,
                                wasm, envoy_cpu))
        for envoy in envoys:
            envoy.wait_ready(timeout=120)
        result = measure(args, configs, envoys, modules, wrk_cpu)
    except BaseException:
        for envoy in envoys:
            envoy.stop()
        print(f"Envoy configurations and logs kept in {workdir}", file=sys.stderr)
        raise
    stop_all()
    result["machine"] = {
        "started": started_at,
        "cpus": cores,
        "pinned": {"envoy": envoy_cpu, "wrk": wrk_cpu},
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "platform": platform.platform(),
        "envoy": subprocess.run([args.envoy, "--version"], capture_output=True,
                                text=True).stdout.strip(),
        "wrk": subprocess.run(["wrk", "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True).stdout.split("\n", 1)[0],
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {os.path.relpath(args.out)}")
    missed = not all(t["pass"] for t in result["targets"])
    return 1 if args.strict and missed else 0


def measure(args, configs, envoys, modules, wrk_cpu):
    by_name = {envoy.name: envoy for envoy in envoys}
    hits = {name: hit for name, _, hit in configs}
    # Each run: (label, envoy, Host header).
    plan = [(label, by_name[label.split()[0]], host)
             for label, _, host in runs(modules, args.port, configs)]

    # Each module ran: the floor's header and the filter state come back on /_check.
    checks = {}
    for label, envoy, host in plan:
        _, headers, _ = http_get((envoy.address, envoy.port), "/_check", first_host(host))
        seen = {k.lower(): v for k, v in headers.items()}
        checks[label] = {k: seen.get(k) for k in ("x-floor", "x-service-entry", "x-outcome")}
    expect(checks["none"]["x-floor"] in (None, "", "-"), "none: the floor header is set")
    expect(checks["floor"]["x-floor"] == "1", f"floor: x-floor is {checks['floor']['x-floor']!r}")
    expect(checks["outputs-floor"]["x-outcome"] == "routed"
           and checks["outputs-floor"]["x-service-entry"] not in (None, "", "-"),
           f"outputs-floor: the filter state says {checks['outputs-floor']}")
    for size in SIZES:
        name = f"meshroute-{size}"
        want = hits[name][1]
        got = checks[name]
        expect(got["x-service-entry"] == want and got["x-outcome"] == "routed",
               f"{name}: expected {want} routed, the filter state says {got}")
        expect(checks[f"{name} unregistered"]["x-service-entry"] in (None, "", "-"),
               f"{name}: an unregistered host was tagged {checks[f'{name} unregistered']}")
    got = checks[HEADER_ROUTE]
    expect(got["x-service-entry"] == hits[HEADER_ROUTE][1] and got["x-outcome"] == "routed",
           f"{HEADER_ROUTE}: expected {hits[HEADER_ROUTE][1]} routed, the filter state says {got}")

    memory = {envoy.name: memory_report(envoy) for envoy in envoys}

    print(f"warming up: {args.warmup} s per run", flush=True)
    for label, envoy, host in plan:
        run_wrk(envoy, host, args.warmup, args.connections, wrk_cpu)

    rates = {label: [] for label, _, _ in plan}
    cpu = {label: [] for label, _, _ in plan}
    counted = {}
    prefixes = {"meshroute": "meshroute_", "outputs-floor": "outputs_floor_"}
    for round_index in range(args.rounds):
        # A different starting point each round, so no configuration always follows another.
        order = plan[round_index % len(plan):] + plan[:round_index % len(plan)]
        for label, envoy, host in order:
            prefix = next((p for k, p in prefixes.items() if label.startswith(k)), None)
            before = envoy.counters(prefix) if prefix else 0
            rate, cpu_us = run_wrk(envoy, host, args.seconds, args.connections, wrk_cpu)
            if prefix:
                counted[label] = counted.get(label, 0) + envoy.counters(prefix) - before
            rates[label].append(rate)
            cpu[label].append(cpu_us)
        line = "  ".join(f"{label} {rates[label][-1]:.0f}" for label, _, _ in plan)
        print(f"round {round_index + 1}/{args.rounds}: {line}", flush=True)

    for label, total in counted.items():
        expect(total > 0, f"{label}: the filter's counters did not move")

    # Paired runs: the reference and the measured Envoy at the same time on the same core.
    targets_of = {label: (envoy, host) for label, envoy, host in plan}
    targets_of[TWIN] = (by_name[TWIN], targets_of["outputs-floor"][1])
    paired = {pair_key(a, b): [] for a, b, _, _ in PAIRS}
    print(f"paired runs: {len(PAIRS)} pairs, {args.pair_rounds} rounds of {args.pair_seconds} s",
          flush=True)
    for round_index in range(args.pair_rounds):
        shift = round_index % len(PAIRS)
        for a, b, _, _ in PAIRS[shift:] + PAIRS[:shift]:
            # Whichever wrk starts first gets a head start of a few milliseconds: alternate.
            first, second = (a, b) if round_index % 2 == 0 else (b, a)
            got = dict(zip((first, second), run_pair(
                targets_of[first], targets_of[second], args.pair_seconds,
                args.pair_connections, wrk_cpu)))
            paired[pair_key(a, b)].append(
                {"rps": [got[a][0], got[b][0]], "cpu_share": [got[a][1], got[b][1]]})
        line = "  ".join(f"{pair_key(a, b)} {pair_ratios(paired[pair_key(a, b)])[-1]:.3f}"
                         for a, b, _, _ in PAIRS)
        print(f"paired round {round_index + 1}/{args.pair_rounds}: {line}", flush=True)

    sizes = {name: (modules / name).stat().st_size for name in MODULES.values()}
    result = {
        "settings": {k: getattr(args, k) for k in ("rounds", "seconds", "warmup", "connections",
                                                    "pair_rounds", "pair_seconds",
                                                    "pair_connections", "port")},
        "hosts": {label: host if isinstance(host, str)
                  else f"{len(host)} hosts in turn, {host[0]} to {host[-1]}"
                  for label, _, host in plan},
        "rps": rates,
        "paired": paired,
        "envoy_cpu_us_per_request": cpu,
        "median_rps": {label: statistics.median(values) for label, values in rates.items()},
        "median_envoy_cpu_us_per_request":
            {label: statistics.median(values) for label, values in cpu.items()},
        "module_bytes": sizes,
        "memory": memory,
        "checks": checks,
        "counted": counted,
    }
    result["targets"] = report(result)
    return result


def pair_key(reference, measured):
    return f"{measured} / {reference}"


def pair_ratios(runs):
    """Each paired run's measured rate over its reference's."""
    return [run["rps"][1] / run["rps"][0] for run in runs]


def expect(condition, message):
    if not condition:
        raise RuntimeError(f"check failed: {message}")


def report(result):
    medians = result["median_rps"]
    rates = result["rps"]
    cpu = result["median_envoy_cpu_us_per_request"]
    floor = medians["floor"]
    outputs = medians["outputs-floor"]
    print()
    print(f"{'configuration':<30} {'median rps':>10} {'min':>7} {'max':>7} {'/ floor':>7}"
          f" {'/ outputs':>9} {'cpu µs/req':>10} {'+ vs floor':>10} {'cpu / floor':>11}"
          f" {'cpu / outputs':>13}")
    for label, median in medians.items():
        print(f"{label:<30} {median:>10.0f} {min(rates[label]):>7.0f} {max(rates[label]):>7.0f}"
              f" {median / floor:>7.3f} {median / outputs:>9.3f} {cpu[label]:>10.2f}"
              f" {cpu[label] - cpu['floor']:>+10.2f} {cpu['floor'] / cpu[label]:>11.3f}"
              f" {cpu['outputs-floor'] / cpu[label]:>13.3f}")
    print(f"\nfloor / none: {floor / medians['none']:.3f} by rate, "
          f"{cpu['none'] / cpu['floor']:.3f} by Envoy CPU time "
          f"(the floor filter adds {cpu['floor'] - cpu['none']:.2f} µs of CPU per request)")
    print(f"outputs floor / floor: {outputs / floor:.3f} by rate, "
          f"{cpu['floor'] / cpu['outputs-floor']:.3f} by Envoy CPU time (issue 5 point 3's "
          f"outputs add {cpu['outputs-floor'] - cpu['floor']:.2f} µs of CPU per request with no "
          "routing evaluation at all)")
    print("`/ floor` is issue 5 point 8's target as written. `/ outputs` compares with the least "
          "any filter writing point 3's outputs costs, so it isolates what the routing "
          "evaluation adds, which is the target's stated intent.")
    print("`cpu / floor` and `cpu / outputs` are the rate ratios a worker with a core of its own "
          "would reach; they stay meaningful when the machine is busy and the rates are not.")

    paired = result["paired"]
    print(f"\npaired runs (both Envoys at once on one core; {len(next(iter(paired.values())))} "
          "rounds): measured rate / reference rate")
    print(f"{'measured / reference':<48} {'median':>7} {'min':>7} {'max':>7} {'cpu shares':>11}"
          "  what it says")
    summary = {}
    for a, b, _, meaning in PAIRS:
        key = pair_key(a, b)
        ratios = pair_ratios(paired[key])
        shares = [statistics.median(run["cpu_share"][i] for run in paired[key]) for i in (0, 1)]
        summary[key] = statistics.median(ratios)
        print(f"{key:<48} {summary[key]:>7.3f} {min(ratios):>7.3f} {max(ratios):>7.3f}"
              f" {shares[0]:>5.2f}/{shares[1]:.2f}  {meaning}")
    control = summary[pair_key("outputs-floor", TWIN)]
    if abs(control - 1) > MAX_CONTROL_ERROR:
        print(f"WARNING: the control pair is {control:.3f}, more than {MAX_CONTROL_ERROR} from 1: "
              "the paired runs of this run are not to be trusted (too short, or the core was "
              "not shared evenly; see the cpu shares)")
    print("The targets are judged on the paired medians: machine noise, which moves the rates "
          "in turn by tens of percent from one run to the next, slows both Envoys of a pair "
          "alike. Like every wall-clock ratio here, a paired ratio includes the kernel's work "
          "per request, the same for every filter, so it lies closer to 1 than callgrind.py's "
          "instruction ratios, which count Envoy alone.")

    targets = []

    def target(name, value, goal, passed, basis):
        targets.append({"target": name, "value": value, "goal": goal, "pass": passed,
                        "basis": basis})

    for a, b, goal, meaning in PAIRS:
        if goal is None:
            continue
        ratio = summary[pair_key(a, b)]
        target(pair_key(a, b), round(ratio, 4), f">= {goal}", ratio >= goal,
               f"{meaning}; paired median")
    module = result["module_bytes"]["meshroute_filter.wasm"]
    print("\nmodule sizes: " + ", ".join(f"{name} {size:,} bytes"
                                         for name, size in result["module_bytes"].items()))
    target("meshroute_filter.wasm bytes", module, f"< {MAX_MODULE_BYTES:,}",
           module < MAX_MODULE_BYTES, "issue 5 point 8 as written")

    memory = result["memory"]
    print("\nmemory after loading (Envoy /memory, process RSS, V8 Wasm linear memories):")
    for name, m in memory.items():
        linear = ", ".join(f"{b / 2**20:.1f}" for b in m["wasm_linear_memories"]) or "none"
        print(f"  {name:<16} allocated {m['envoy_allocated'] / 2**20:7.1f} MiB  "
              f"heap {m['envoy_heap_size'] / 2**20:7.1f} MiB  "
              f"rss {m['process_rss'] / 2**20:7.1f} MiB  wasm memories [{linear}] MiB")
    # Not every VM Envoy keeps loads the configuration; the target is on the largest, one that did.
    vm = max(memory[f"meshroute-{SIZES[-1]}"]["wasm_linear_memories"], default=None)
    target(f"Wasm VM memory, {SIZES[-1]:,} ServiceEntries (bytes)", vm, f"< {MAX_VM_BYTES:,}",
           vm is not None and vm < MAX_VM_BYTES, "issue 5 point 8 as written")

    print("\ntargets:")
    for t in targets:
        verdict = "PASS" if t["pass"] else "MISS"
        print(f"  {verdict}  {t['target']}: {t['value']} (goal {t['goal']}; {t['basis']})")
    return targets


if __name__ == "__main__":
    sys.exit(main())

"""The measurements of issue 10 in one run (called by bench/run.sh, which installs what it needs).

Cases: (1) `scopewatch audit` at several org sizes and simulated latencies: wall time, peak RSS,
upstream calls by endpoint from the simulator's own request log; (2) the same orgs audited by the
seed tutorial's script with the official SDK (bench/sdk_reference.py); (3) serving a report with
wrk at 64 connections beside nginx serving the identical bytes (gzip_static); (4) /healthz latency
while a large audit is collected and installed; (5) the service's RSS over repeated audits;
(6) an audit whose API description is as large as the real one (60 MB); (7) many orgs (50 of
1 000 clients) audited by one `scopewatch serve` (SCOPEWATCH_ORGS_FILE); (8) where an audit's
wall time goes (upstream until the simulator's last answer, then the rest), with and without the
audit trail and the live catalog.

Usage: python bench/harness.py BINARY [--smoke] [--write BENCHMARKS.md]
Everything binds 127.0.0.1 and is bounded in time.
"""

import argparse
import datetime
import gzip
import http.client
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLIENT_ID = "bench"
SECRET = "bench-secret"
ROLES = 250
NOTES_MARK = "<!-- Everything below this line is kept by bench/run.sh; the tables above are rewritten. -->"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Sim:
    """`scopewatch sim` on a free port, its request log written on stop."""

    def __init__(self, binary, work, clients, roles=ROLES, latency_ms=0, extra=()):
        self.log_path = os.path.join(work, f"sim-requests-{time.monotonic_ns()}.tsv")
        self.proc = subprocess.Popen(
            [binary, "sim", "--listen", "127.0.0.1:0", "--clients", str(clients), "--roles", str(roles),
             "--seed", "7", "--client-id", CLIENT_ID, "--client-secret", SECRET,
             "--latency", f"{latency_ms}ms", "--request-log", self.log_path, *extra],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        if not match:
            self.proc.kill()
            raise SystemExit(f"the simulator did not start: {line!r}")
        self.base = match.group(1)

    def stop(self):
        """Stops the simulator; returns its calls by endpoint."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        calls = Counter()
        # When the last answer left, in seconds after the first request arrived.
        self.last_answer = 0.0
        with open(self.log_path) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                method, path = fields[:2]
                if len(fields) >= 5:
                    self.last_answer = max(self.last_answer, (float(fields[3]) + float(fields[4])) / 1e3)
                path = re.sub(r"^/api/v2/usage/query/[^/]+/results$", "/api/v2/usage/query/{id}/results", path)
                path = re.sub(r"^/api/v2/usage/aggregates/query/jobs/[^/]+$", "/api/v2/usage/aggregates/query/jobs/{id}", path)
                path = re.sub(r"^/api/v2/audits/query/(?!servicemapping$|realtime$)[^/]+", "/api/v2/audits/query/{id}", path)
                calls[f"{method} {path}"] += 1
        return calls


def genesys_env(base):
    env = dict(os.environ)
    env.update(GENESYS_OAUTH_CLIENT_ID=CLIENT_ID, GENESYS_OAUTH_CLIENT_SECRET=SECRET,
               GENESYS_API_BASE_URL=base, GENESYS_LOGIN_BASE_URL=base,
               # The 100 000-client org is past the default bounds (50 000 entities).
               SCOPEWATCH_MAX_ENTITIES="200000")
    return env


def timed(cmd, env, timeout):
    """Runs `cmd` under /usr/bin/time: (wall seconds, peak RSS MiB)."""
    out = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M", *cmd], env=env, capture_output=True,
                         text=True, timeout=timeout)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr[-2000:]}")
    match = re.findall(r"TIME ([\d.]+) (\d+)", out.stderr)[-1]
    return float(match[0]), int(match[1]) / 1024


def audit_cases(args, work):
    rows = []
    for clients in args.sizes:
        for latency in args.latencies:
            runs = 1 if clients >= 100_000 else args.runs
            for tool in ("scopewatch", "sdk"):
                walls, peaks, calls = [], [], Counter()
                for _ in range(runs):
                    sim = Sim(args.binary, work, clients, latency_ms=latency)
                    out = os.path.join(work, f"report-{tool}.json")
                    if tool == "scopewatch":
                        cmd = [args.binary, "audit", "--output", out]
                    else:
                        cmd = [args.python, os.path.join(HERE, "sdk_reference.py"), sim.base, out]
                    try:
                        wall, peak = timed(cmd, genesys_env(sim.base), timeout=600)
                    finally:
                        calls = sim.stop()
                    walls.append(wall)
                    peaks.append(peak)
                    with open(out) as f:
                        report = json.load(f)
                    total = report["summary"]["total_clients"] if tool == "scopewatch" else report["total_clients"]
                    if total != clients + 1:
                        raise SystemExit(f"{tool} audited {total} clients, expected {clients + 1}")
                    report_bytes = os.path.getsize(out)
                    os.remove(out)
                rows.append(dict(tool=tool, clients=clients, latency=latency, walls=walls,
                                 wall=statistics.median(walls), peak=max(peaks), calls=dict(calls),
                                 report_bytes=report_bytes))
                log(f"audit {tool} {clients} clients {latency} ms: {statistics.median(walls):.2f} s, "
                    f"{max(peaks):.0f} MiB, {sum(calls.values())} calls")
    return rows


class Serve:
    """`scopewatch serve` on SQLite in a temp dir, auditing a simulator."""

    def __init__(self, binary, work, sim, extra_env=None):
        self.dir = tempfile.mkdtemp(dir=work)
        env = genesys_env(sim.base)
        env.update(SCOPEWATCH_LISTEN="127.0.0.1:0", SCOPEWATCH_DATABASE_URL=f"sqlite://{self.dir}/bench.db",
                   SCOPEWATCH_AUDIT_INTERVAL="24h", SCOPEWATCH_MAX_REQUESTS_PER_MINUTE="300")
        env.pop("SCOPEWATCH_API_TOKEN", None)
        env.pop("SCOPEWATCH_API_TOKENS", None)
        env.update(extra_env or {})
        self.stderr = open(os.path.join(self.dir, "serve.log"), "w+")
        self.proc = subprocess.Popen([binary, "serve"], env=env, stderr=self.stderr, stdout=subprocess.DEVNULL)
        deadline = time.time() + 600
        self.url = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"serve exited: {self.tail()}")
            if self.url is None:
                found = re.search(r"serving the report at (http://127\.0\.0\.1:\d+)", self.tail())
                self.url = found and found.group(1)
            if self.url and self.status("/readyz") == 200:
                return
            time.sleep(0.1)
        raise SystemExit(f"serve did not become ready: {self.tail()}")

    def tail(self):
        self.stderr.flush()
        with open(self.stderr.name) as f:
            return f.read()[-3000:]

    def get(self, path, headers=None):
        req = urllib.request.Request(self.url + path, headers=headers or {})
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.headers, r.read()

    def status(self, path):
        try:
            return self.get(path)[0]
        except Exception:
            return None

    def proc_status(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def audit_now(self, timeout=600):
        """POST /audits and waits for it to finish: (audit id, seconds)."""
        started = time.monotonic()
        audit_id = None
        while audit_id is None:
            req = urllib.request.Request(self.url + "/audits", method="POST", data=b"")
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    audit_id = json.loads(r.read())["audit_id"]
            except urllib.error.HTTPError as e:
                # The audit at start may still be finishing (its record, its lock).
                if e.code != 409 or time.monotonic() - started > timeout:
                    raise
                time.sleep(0.05)
        while time.monotonic() - started < timeout:
            try:
                self.get(f"/audits/{audit_id}")
                return audit_id, time.monotonic() - started
            except urllib.error.HTTPError as e:
                body = e.read()
                if e.code != 409 or json.loads(body).get("code") != "audit_running":
                    raise SystemExit(f"audit {audit_id}: HTTP {e.code} {body[:500]!r}")
            time.sleep(0.05)
        raise SystemExit(f"audit {audit_id} did not finish in {timeout} s")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def wrk(url, seconds, headers=(), connections=64):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = parse_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return dict(rps=rps, p99=p99, non2xx=int(non2xx.group(1)) if non2xx else 0,
                errors=errors.group(1) if errors else "")


def parse_ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


class Nginx:
    """nginx on a free port with its own prefix and config, serving files with gzip_static."""

    def __init__(self, work, root):
        self.prefix = tempfile.mkdtemp(dir=work)
        for d in ("logs", "tmp"):
            os.mkdir(os.path.join(self.prefix, d))
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""
worker_processes 2;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/logs/error.log;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {self.prefix}/tmp;
    proxy_temp_path {self.prefix}/tmp;
    fastcgi_temp_path {self.prefix}/tmp;
    uwsgi_temp_path {self.prefix}/tmp;
    scgi_temp_path {self.prefix}/tmp;
    sendfile on;
    types {{ application/json json; }}
    server {{
        listen 127.0.0.1:{self.port};
        root {root};
        gzip_static on;
    }}
}}
""")
        nginx = "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else "nginx"
        self.proc = subprocess.Popen([nginx, "-p", self.prefix, "-c", conf], stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1)
            except urllib.error.HTTPError:
                return
            except Exception:
                time.sleep(0.05)
                continue
            return
        raise SystemExit("nginx did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def serving_cases(args, work):
    sim = Sim(args.binary, work, args.serve_clients)
    serve = Serve(args.binary, work, sim)
    try:
        gz = {"Accept-Encoding": "gzip"}
        status, headers, report_gz = serve.get("/report", gz)
        report = json.loads(gzip.decompress(report_gz))
        etag = headers["ETag"]
        rule = next(f["rule_id"] for c in report["clients"] for f in c.get("findings", []) if not f.get("suppressed"))
        client_id = report["clients"][len(report["clients"]) // 2]["client_id"]
        views = [("GET /report (gzip)", "/report", "report.json"),
                 ("GET /report?risk_level=CRITICAL (gzip)", "/report?risk_level=CRITICAL", "critical.json"),
                 ("GET /report?grant_type=CLIENT-CREDENTIALS (gzip)", "/report?grant_type=CLIENT-CREDENTIALS", "grant.json"),
                 (f"GET /report?rule={rule} (gzip)", f"/report?rule={rule}", "rule.json")]
        root = tempfile.mkdtemp(dir=work)
        sizes = {}
        for _, path, name in views:
            _, _, body_gz = serve.get(path, gz)
            _, _, body = serve.get(path)
            if gzip.decompress(body_gz) != body:
                raise SystemExit(f"{path}: the gzip body is not the plain body")
            with open(os.path.join(root, name), "wb") as f:
                f.write(body)
            with open(os.path.join(root, name + ".gz"), "wb") as f:
                f.write(body_gz)
            sizes[path] = (len(body), len(body_gz))
        # nginx workers run as an unprivileged user: they must be able to read the files.
        for d in (work, root):
            os.chmod(d, 0o755)
        for name in os.listdir(root):
            os.chmod(os.path.join(root, name), 0o644)
        nginx = Nginx(work, root)
        rows = []
        try:
            for _, path, name in views:
                req = urllib.request.Request(f"http://127.0.0.1:{nginx.port}/{name}", headers=gz)
                with urllib.request.urlopen(req, timeout=30) as r:
                    served = r.read()
                    if r.headers.get("Content-Encoding") != "gzip" or gzip.decompress(served) != gzip.decompress(
                            open(os.path.join(root, name + ".gz"), "rb").read()):
                        raise SystemExit(f"nginx does not serve {name} as the same gzip bytes")
            for label, path, name in views:
                ours = wrk(serve.url + path, args.wrk_seconds, ["Accept-Encoding: gzip"])
                theirs = wrk(f"http://127.0.0.1:{nginx.port}/{name}", args.wrk_seconds, ["Accept-Encoding: gzip"])
                if theirs["non2xx"] or ours["non2xx"]:
                    raise SystemExit(f"{label}: non-2xx answers (scopewatch {ours['non2xx']}, nginx {theirs['non2xx']})")
                rows.append(dict(label=label, ours=ours, nginx=theirs, size=sizes[path]))
                log(f"serve {label}: {ours['rps']:.0f} req/s p99 {ours['p99']:.1f} ms; nginx {theirs['rps']:.0f} req/s")
        finally:
            nginx.stop()
        for label, path, headers in [("GET /report, If-None-Match (304)", "/report", ["Accept-Encoding: gzip", f"If-None-Match: {etag}"]),
                                     ("GET /clients/{id}", f"/clients/{client_id}", []),
                                     ("GET /metrics", "/metrics", [])]:
            ours = wrk(serve.url + path, args.wrk_seconds, headers)
            if ours["non2xx"]:
                raise SystemExit(f"{label}: {ours['non2xx']} answers were not 2xx or 3xx")
            rows.append(dict(label=label, ours=ours, nginx=None, size=None))
            log(f"serve {label}: {ours['rps']:.0f} req/s p99 {ours['p99']:.1f} ms")
        peak = serve.proc_status("VmHWM")
        rss = serve.proc_status("VmRSS")
    finally:
        serve.stop()
        sim.stop()
    return dict(rows=rows, peak=peak, rss=rss, clients=args.serve_clients,
                json_bytes=sizes["/report"][0], gzip_bytes=sizes["/report"][1])


def healthz_during_audit(args, work):
    """/healthz latencies, sampled by 4 keep-alive clients, between POST /audits and its end."""
    sim = Sim(args.binary, work, args.install_clients)
    serve = Serve(args.binary, work, sim)
    host, port = serve.url[len("http://"):].split(":")
    samples, done = [], threading.Event()

    def probe():
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        while not done.is_set():
            t = time.perf_counter()
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            samples.append((time.perf_counter() - t) * 1000)
            time.sleep(0.005)

    threads = [threading.Thread(target=probe) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        _, seconds = serve.audit_now()
        done.set()
        for t in threads:
            t.join()
        peak = serve.proc_status("VmHWM")
    finally:
        done.set()
        serve.stop()
        sim.stop()
    samples.sort()
    p = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
    log(f"healthz during a {args.install_clients}-client audit ({seconds:.1f} s): p50 {p(0.5):.1f} ms p99 {p(0.99):.1f} ms max {samples[-1]:.1f} ms")
    return dict(clients=args.install_clients, seconds=seconds, n=len(samples), p50=p(0.5), p99=p(0.99),
                max=samples[-1], peak=peak)


def rss_over_audits(args, work):
    sim = Sim(args.binary, work, args.repeat_clients, extra=["--rate-limit", "100000"])
    serve = Serve(args.binary, work, sim)
    rss = []
    try:
        for i in range(args.repeats):
            serve.audit_now()
            rss.append(serve.proc_status("VmRSS"))
        peak = serve.proc_status("VmHWM")
    finally:
        serve.stop()
        sim.stop()
    k = max(1, len(rss) // 10)
    first, last = statistics.mean(rss[:k]), statistics.mean(rss[-k:])
    # Growth is judged after a warm-up of k audits (the first audit of a process starts with no
    # allocator arenas, so it reads low): the mean of the first half after it against the mean
    # of the second half, which the audit-to-audit noise (+-15 MiB) moves far less than 5 vs 5.
    warm = rss[k:]
    half = len(warm) // 2
    early, late = (statistics.mean(warm[:half]), statistics.mean(warm[half:])) if half else (first, last)
    log(f"RSS over {len(rss)} audits: first {first:.0f} MiB, last {last:.0f} MiB; "
        f"after warm-up {early:.0f} -> {late:.0f} MiB")
    return dict(clients=args.repeat_clients, rss=rss, first=first, last=last, k=k, peak=peak,
                growth=(last - first) / first * 100, early=early, late=late,
                warm_growth=(late - early) / early * 100)


def audit_once(args, work, sim):
    """One `scopewatch audit` of `sim`, which it stops: (wall s, peak MiB, calls by endpoint)."""
    out = os.path.join(work, "report-once.json")
    try:
        wall, peak = timed([args.binary, "audit", "--output", out], genesys_env(sim.base), timeout=600)
    finally:
        calls = sim.stop()
    os.remove(out)
    return wall, peak, calls


def large_description(args, work):
    """`scopewatch audit` when the API description is as large as the real one."""
    sim = Sim(args.binary, work, args.description_clients,
              extra=["--description-mb", str(args.description_mb)])
    wall, peak, calls = audit_once(args, work, sim)
    if calls.get("GET /api/v2/docs/swagger") != 1:
        raise SystemExit(f"the audit did not read the API description once: {dict(calls)}")
    log(f"audit {args.description_clients} clients, {args.description_mb} MiB description: {wall:.2f} s, {peak:.0f} MiB")
    return dict(clients=args.description_clients, mb=args.description_mb, wall=wall, peak=peak)


def critical_path(args, work):
    """Case 8: where an audit's wall time goes: the upstream (until the simulator's last answer,
    from its request log) and the rest (judging, writing the report), with all the evidence and
    without the audit trail and the live catalog (`sim --deny audits --deny swagger`)."""
    rows = []
    for label, extra in (("all", []), ("no trail, no live catalog", ["--deny", "audits", "--deny", "swagger"])):
        for latency in args.latencies:
            sim = Sim(args.binary, work, args.path_clients, latency_ms=latency, extra=extra)
            wall, peak, calls = audit_once(args, work, sim)
            if extra and any("audits/query" in k for k in calls if not k.endswith("servicemapping")):
                raise SystemExit(f"the denied trail was queried: {dict(calls)}")
            rows.append(dict(label=label, latency=latency, wall=wall, peak=peak,
                             upstream=sim.last_answer, calls=sum(calls.values())))
            log(f"critical path {label} {latency} ms: upstream {sim.last_answer:.2f} s, wall {wall:.2f} s")
    return dict(clients=args.path_clients, rows=rows)


def many_orgs(args, work):
    """Case 7: `args.orgs` orgs of `args.org_clients` clients each, audited by one `scopewatch
    serve` (SCOPEWATCH_ORGS_FILE): the wall time of a full round (every org has a report), the
    service's peak RSS, and upstream calls per org from each simulator's own log."""
    sims = []
    try:
        for _ in range(args.orgs):
            sims.append(Sim(args.binary, work, args.org_clients, roles=40))
        orgs_file = os.path.join(work, "orgs.toml")
        with open(orgs_file, "w") as f:
            for i, sim in enumerate(sims):
                f.write(f'[[org]]\nname = "org-{i:02d}"\napi_base_url = "{sim.base}"\n'
                        f'login_base_url = "{sim.base}"\nclient_id = "{CLIENT_ID}"\n'
                        'client_secret_env = "BENCH_ORG_SECRET"\n\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS_", "SCOPEWATCH_"))}
        env.update(SCOPEWATCH_ORGS_FILE=orgs_file, BENCH_ORG_SECRET=SECRET, SCOPEWATCH_LISTEN="127.0.0.1:0",
                   SCOPEWATCH_DATABASE_URL=f"sqlite://{work}/orgs.db", SCOPEWATCH_AUDIT_INTERVAL="24h",
                   SCOPEWATCH_CHANGE_POLL="0")
        log_path = os.path.join(work, "orgs-serve.log")
        with open(log_path, "w") as err:
            started = time.monotonic()
            proc = subprocess.Popen([args.binary, "serve"], env=env, stderr=err, stdout=subprocess.DEVNULL)
        try:
            url, round_seconds, reports = None, None, 0
            while time.monotonic() - started < 600:
                if proc.poll() is not None:
                    raise SystemExit(f"serve exited: {open(log_path).read()[-3000:]}")
                if url is None:
                    found = re.search(r"serving the report at (http://127\.0\.0\.1:\d+)", open(log_path).read())
                    url = found and found.group(1)
                if url:
                    try:
                        with urllib.request.urlopen(url + "/orgs", timeout=30) as r:
                            listed = json.loads(r.read())["orgs"]
                        reports = sum(1 for o in listed if o["report"])
                        if reports == len(sims):
                            round_seconds = time.monotonic() - started
                            break
                    except (urllib.error.URLError, ConnectionError):
                        pass
                time.sleep(0.1)
            if round_seconds is None:
                raise SystemExit(f"only {reports} of {len(sims)} orgs had a report after 600 s")
            with open(f"/proc/{proc.pid}/status") as f:
                peak = next(int(l.split()[1]) / 1024 for l in f if l.startswith("VmHWM:"))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    finally:
        per_org = [sum(s.stop().values()) for s in sims]
    log(f"{len(sims)} orgs x {args.org_clients} clients: round {round_seconds:.1f} s, peak {peak:.0f} MiB, "
        f"calls per org {min(per_org)}-{max(per_org)}")
    return dict(orgs=len(sims), clients=args.org_clients, seconds=round_seconds, peak=peak,
                calls_min=min(per_org), calls_max=max(per_org), calls_median=statistics.median(per_org))


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    load = os.getloadavg()
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}, load average before the run {load[0]:.2f}"


def fmt_calls(calls):
    short = lambda k: k.replace("/api/v2/", "").replace("GET ", "").replace("POST ", "POST ")
    return ", ".join(f"{short(k)} {v}" for k, v in sorted(calls.items()))


def markdown(args, facts, audits, serving, healthz, repeats, described, orgs, path, started, wall):
    out = []
    w = out.append
    w("# Benchmarks\n")
    w(f"Written by `bench/run.sh` on {started:%Y-%m-%d %H:%M} UTC in {wall / 60:.1f} min; do not edit the "
      "tables by hand (notes below the marker at the end are kept). Speed and memory claims come "
      "from this harness, never from timed unit tests.\n")
    w(f"- machine: {facts['machine']}")
    w(f"- build: {'debug (smoke)' if args.smoke else '`cargo build --release`'}, {facts['version']}")
    w(f"- tools: {facts['wrk']}, {facts['nginx']}, Python {platform.python_version()} with "
      f"`purecloudplatformclientv2` {facts['sdk']}")
    w("- command: `bench/run.sh` (the lead's reference run is on a quiet machine; shared-machine "
      "figures are noisy)\n")

    w("## 1-2. `scopewatch audit` against the seed tutorial's audit with the official SDK\n")
    w(f"Each case is a fresh simulator (`scopewatch sim --clients N --roles {ROLES} --seed 7 "
      "--latency L`), audited by `scopewatch audit --output FILE` and by `bench/sdk_reference.py` "
      "(login, list the clients, flag scopes, write the JSON report) under `/usr/bin/time`. "
      f"Wall time is the median of {args.runs} runs (1 at 100 000 clients); peak RSS the largest. "
      "Calls come from the simulator's request log (`sim --request-log`), per run.\n")
    w("| clients | latency | scopewatch wall | scopewatch peak RSS | SDK wall | SDK peak RSS | speed-up | report bytes (scopewatch / SDK) |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|")
    by = {(r["tool"], r["clients"], r["latency"]): r for r in audits}
    for clients in args.sizes:
        for latency in args.latencies:
            s, p = by[("scopewatch", clients, latency)], by[("sdk", clients, latency)]
            w(f"| {clients:,} | {latency} ms | {s['wall']:.2f} s | {s['peak']:.0f} MiB | {p['wall']:.2f} s | "
              f"{p['peak']:.0f} MiB | {p['wall'] / s['wall']:.1f}x | {s['report_bytes']:,} / {p['report_bytes']:,} |")
    w("\nUpstream calls per audit, by endpoint (simulator log):\n")
    w("| clients | latency | scopewatch | SDK reference |")
    w("|---:|---:|---|---|")
    for clients in args.sizes:
        for latency in args.latencies:
            s, p = by[("scopewatch", clients, latency)], by[("sdk", clients, latency)]
            w(f"| {clients:,} | {latency} ms | {fmt_calls(s['calls'])} | {fmt_calls(p['calls'])} |")

    w(f"\n## 3. Serving a {serving['clients']:,}-client report beside nginx\n")
    w(f"`scopewatch serve` (SQLite) after its first audit; report {serving['json_bytes']:,} bytes JSON, "
      f"{serving['gzip_bytes']:,} bytes gzip. Load: `wrk -t2 -c64 -d{args.wrk_seconds}s --latency` on "
      "127.0.0.1 (client and server share the cores). nginx (own prefix and config, 2 workers, "
      "`gzip_static on`, `sendfile on`) serves the identical bytes, fetched from the service, as files.\n")
    w("| request | scopewatch req/s | p99 | nginx req/s | nginx p99 | scopewatch / nginx | body (plain / gzip) |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    for r in serving["rows"]:
        o, n = r["ours"], r["nginx"]
        errs = f" ({o['non2xx']} non-2xx)" if o["non2xx"] and "304" not in r["label"] else ""
        if n:
            w(f"| {r['label']} | {o['rps']:,.0f}{errs} | {o['p99']:.1f} ms | {n['rps']:,.0f} | {n['p99']:.1f} ms | "
              f"{o['rps'] / n['rps']:.2f} | {r['size'][0]:,} / {r['size'][1]:,} |")
        else:
            w(f"| {r['label']} | {o['rps']:,.0f}{errs} | {o['p99']:.1f} ms | | | | |")
    w(f"\nServer peak RSS (VmHWM) after the load: {serving['peak']:.0f} MiB (RSS then {serving['rss']:.0f} MiB).\n")

    w(f"## 4. `/healthz` while a {healthz['clients']:,}-client audit is collected and installed\n")
    w("Four keep-alive clients (Python, 5 ms pause) call `/healthz` from `POST /audits` until the "
      "audit is recorded.\n")
    w("| audit | samples | p50 | p99 | max | server peak RSS |")
    w("|---:|---:|---:|---:|---:|---:|")
    w(f"| {healthz['seconds']:.1f} s | {healthz['n']:,} | {healthz['p50']:.1f} ms | {healthz['p99']:.1f} ms | "
      f"{healthz['max']:.1f} ms | {healthz['peak']:.0f} MiB |\n")

    w(f"## 5. Service RSS over {len(repeats['rss'])} audits (`POST /audits`, {repeats['clients']:,} clients)\n")
    w(f"RSS after each audit. After a warm-up of {repeats['k']} audits, first half mean {repeats['early']:.0f} MiB, "
      f"second half mean {repeats['late']:.0f} MiB: growth {repeats['warm_growth']:+.1f}%. (First {repeats['k']} mean "
      f"{repeats['first']:.0f} MiB, last {repeats['k']} mean {repeats['last']:.0f} MiB: {repeats['growth']:+.1f}%, the "
      f"cold first audit included.) Peak {repeats['peak']:.0f} MiB.\n")
    w("RSS (MiB) by audit: " + ", ".join(f"{v:.0f}" for v in repeats["rss"]) + "\n")

    w(f"## 6. `scopewatch audit`, {described['clients']:,} clients, a {described['mb']} MiB API description\n")
    w(f"`sim --description-mb {described['mb']}` pads `/api/v2/docs/swagger` like the real one; the audit "
      "reads it once (asserted from the request log) to build the live permission catalog.\n")
    w("| wall | peak RSS |")
    w("|---:|---:|")
    w(f"| {described['wall']:.2f} s | {described['peak']:.0f} MiB |\n")

    w(f"## 7. {orgs['orgs']} orgs of {orgs['clients']:,} clients, one `scopewatch serve`\n")
    w(f"{orgs['orgs']} simulators (`scopewatch sim --clients {orgs['clients']:,} --roles 40`), one "
      "`SCOPEWATCH_ORGS_FILE` with an `[[org]]` each, one `scopewatch serve` (SQLite) that audits every "
      "org at start, each on its own tasks. The round ends when `GET /orgs` shows a report for every "
      "org (timed from the process start, so it includes start-up and the database). Calls per org "
      "come from each simulator's request log.\n")
    w("| orgs | clients each | full round | service peak RSS | upstream calls per org (min / median / max) |")
    w("|---:|---:|---:|---:|---:|")
    w(f"| {orgs['orgs']} | {orgs['clients']:,} | {orgs['seconds']:.1f} s | {orgs['peak']:.0f} MiB | "
      f"{orgs['calls_min']} / {orgs['calls_median']:.0f} / {orgs['calls_max']} |\n")

    w(f"## 8. Where a {path['clients']:,}-client audit's time goes\n")
    w("`scopewatch audit` once per row; \"upstream\" ends with the simulator's last answer (its request log "
      "gives each request's arrival and answer time), \"after\" is the rest of the wall time (judging, "
      "writing the report, process start and exit). The second pair denies the audit trail and the API "
      "description (`sim --deny audits --deny swagger`): the audit as it was before the trail's four "
      "asynchronous queries (token, service mapping, submit, two polls, result pages: the longest chain) "
      "and the live catalog were added.\n")
    w("| evidence | latency | upstream | after | wall | peak RSS | calls |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    for r in path["rows"]:
        w(f"| {r['label']} | {r['latency']} ms | {r['upstream']:.2f} s | {max(r['wall'] - r['upstream'], 0):.2f} s | "
          f"{r['wall']:.2f} s | {r['peak']:.0f} MiB | {r['calls']} |")
    w("")
    return "\n".join(out) + "\n"


def tool_version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except Exception:
        return "unknown"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--python", default=sys.executable, help="Python with the official SDK")
    parser.add_argument("--smoke", action="store_true", help="a tiny org, a few seconds per case")
    parser.add_argument("--write", help="rewrite this BENCHMARKS.md (not in smoke mode)")
    args = parser.parse_args()
    # Stopped from outside: unwind, so every simulator, server and nginx started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    if args.smoke:
        args.sizes, args.latencies, args.runs = [200], [0, 100], 1
        args.serve_clients, args.install_clients, args.repeat_clients, args.repeats = 300, 1000, 100, 5
        args.wrk_seconds = 1
        args.description_clients, args.description_mb = 200, 2
        args.orgs, args.org_clients = 3, 100
        args.path_clients = 200
    else:
        args.sizes, args.latencies, args.runs = [1000, 10000, 100000], [0, 100], 3
        args.serve_clients, args.install_clients, args.repeat_clients, args.repeats = 10000, 100000, 10000, 50
        args.wrk_seconds = 10
        args.description_clients, args.description_mb = 10000, 60
        args.orgs, args.org_clients = 50, 1000
        args.path_clients = 10000
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    facts = dict(machine=machine(), version=tool_version([args.binary, "--version"]),
                 wrk=tool_version(["wrk", "--version"]), nginx=tool_version(["nginx", "-v"]),
                 sdk=tool_version([args.python, "-c", "import importlib.metadata as m; print(m.version('purecloudplatformclientv2'))"]))
    with tempfile.TemporaryDirectory(prefix="scopewatch-bench-") as work:
        audits = audit_cases(args, work)
        serving = serving_cases(args, work)
        healthz = healthz_during_audit(args, work)
        repeats = rss_over_audits(args, work)
        described = large_description(args, work)
        orgs = many_orgs(args, work)
        path = critical_path(args, work)
    wall = time.monotonic() - t0
    text = markdown(args, facts, audits, serving, healthz, repeats, described, orgs, path, started, wall)
    if args.smoke:
        print(text)
        print(f"smoke run passed in {wall:.0f} s")
        return
    if args.write:
        notes = ""
        if os.path.exists(args.write):
            with open(args.write) as f:
                old = f.read()
            if NOTES_MARK in old:
                notes = old.split(NOTES_MARK, 1)[1]
        with open(args.write, "w") as f:
            f.write(text + "\n" + NOTES_MARK + notes)
        log(f"wrote {args.write} ({wall / 60:.1f} min)")
    else:
        print(text)


if __name__ == "__main__":
    main()

"""A real Prometheus scrapes a real `scopewatch serve --demo`, and the queries the project ships
are run through Prometheus's HTTP API:

- scopewatch_high_risk_clients (and the other report gauges) equal what GET /report says;
- every query of every panel of deploy/grafana/scopewatch.json returns a non-empty result;
- every expression of deploy/prometheus/alerts.yml evaluates without error, and Prometheus loaded
  and evaluated each rule with health "ok".

Usage: python tests/prometheus/e2e.py target/debug/scopewatch [--prometheus /usr/bin/prometheus]

Both processes listen on loopback only, in a temporary directory; both are stopped on exit. The
whole run is bounded (DEADLINE seconds).
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy/grafana/scopewatch.json"
ALERTS = ROOT / "deploy/prometheus/alerts.yml"
JOB = "scopewatch"  # the job name of deploy/prometheus/prometheus.yml, which the alerts name
DEADLINE = 110.0
# What Grafana would put in place of its built-in interval variables at a 1 s scrape interval;
# [1m] holds every sample of this short run, and rate() needs two of them.
BUILTINS = {"__rate_interval": "1m", "__interval": "1m", "__range": "5m", "__range_s": "300"}

started = time.monotonic()
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def remaining():
    return DEADLINE - (time.monotonic() - started)


def wait_for(what, probe, limit, step=0.2):
    """Calls probe() until it returns something true, for at most `limit` seconds (and never past
    the run's deadline)."""
    end = time.monotonic() + min(limit, max(remaining(), 0))
    last_error = None
    while time.monotonic() < end:
        try:
            value = probe()
            if value:
                return value
        except (OSError, ValueError, KeyError) as e:
            last_error = e
        time.sleep(step)
    sys.exit(f"timed out waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


def http(url, method="GET", timeout=5):
    request = urllib.request.Request(url, method=method, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    def __init__(self, base):
        self.base = base

    def api(self, path, **params):
        url = f"{self.base}/api/v1/{path}?" + urllib.parse.urlencode(params)
        try:
            _, body = http(url, timeout=10)
        except urllib.error.HTTPError as e:  # 400/422/503 carry the error as JSON
            body = e.read()
        return json.loads(body)

    def query(self, expr):
        return self.api("query", query=expr)

    def scalar(self, expr):
        answer = self.query(expr)
        result = answer.get("data", {}).get("result", [])
        if answer.get("status") != "success" or not result:
            return None
        if answer["data"]["resultType"] == "scalar":
            return float(result[1])
        return float(result[0]["value"][1])


def substitute(expr, variables):
    def value(match):
        name = match.group(1) or match.group(2)
        if name not in variables:
            raise KeyError(f"unknown dashboard variable ${name} in {expr}")
        return variables[name]

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", value, expr)


def dashboard_variables(dashboard):
    """The value each dashboard variable takes in this run: the job scraped here, its one org, a custom
    variable's current (default) value, Grafana's interval built-ins."""
    variables = dict(BUILTINS)
    for var in dashboard["templating"]["list"]:
        if var["type"] == "datasource":
            variables[var["name"]] = "unused"  # names the datasource, never appears in a query
        elif var["type"] == "query" and var["name"] == "job":
            variables["job"] = JOB
        elif var["type"] == "query" and var["name"] == "org":
            variables["org"] = "default"  # serve --demo audits one org, named default
        elif var["type"] in ("custom", "interval", "constant"):
            variables[var["name"]] = var["current"]["value"]
        else:
            sys.exit(f"dashboard variable {var['name']} of type {var['type']}: e2e.py does not know its value")
    return variables


def panel_queries(dashboard):
    def walk(panels):
        for panel in panels:
            yield panel
            yield from walk(panel.get("panels", []))

    for panel in walk(dashboard["panels"]):
        for target in panel.get("targets", []):
            if not target.get("hide"):
                yield panel["title"], target["refId"], target["expr"]


def start(args, log, env=None):
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=env, start_new_session=True)


def stop(process):
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scopewatch")
    parser.add_argument("--prometheus", default=shutil.which("prometheus") or "/usr/bin/prometheus")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    binary = str(pathlib.Path(args.scopewatch).resolve())
    work = pathlib.Path(tempfile.mkdtemp(prefix="scopewatch-e2e-"))
    server = prometheus = None
    try:
        # scopewatch serve --demo on a free loopback port, its history in a fresh SQLite file.
        server_log = work / "scopewatch.log"
        env = dict(os.environ, SCOPEWATCH_LISTEN="127.0.0.1:0",
                   SCOPEWATCH_DATABASE_URL=f"sqlite://{work / 'demo.db'}", SCOPEWATCH_LOG_FORMAT="json")
        env.pop("SCOPEWATCH_API_TOKEN", None)
        server = start([binary, "serve", "--demo"], open(server_log, "wb"), env)

        def serving():
            if server.poll() is not None:
                sys.exit(f"scopewatch exited ({server.returncode}):\n{server_log.read_text()}")
            found = re.search(r"serving the report at (http://127\.0\.0\.1:\d+)", server_log.read_text())
            return found and found.group(1)

        base = wait_for("scopewatch to say where it serves", serving, 30)
        wait_for("scopewatch /readyz", lambda: http(f"{base}/readyz")[0] == 200, 30)
        print(f"scopewatch serves {base}", flush=True)

        # Prometheus on another loopback port: scrape every second, evaluate alerts.yml every second.
        port = free_port()
        target = base.removeprefix("http://")
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(ALERTS)],
            "scrape_configs": [{"job_name": JOB, "metrics_path": "/metrics",
                                "static_configs": [{"targets": [target]}]}],
        }
        (work / "prometheus.yml").write_text(yaml.safe_dump(config))
        prometheus_log = work / "prometheus.log"
        prometheus = start([args.prometheus, f"--config.file={work / 'prometheus.yml'}",
                            f"--storage.tsdb.path={work / 'data'}",
                            f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                           open(prometheus_log, "wb"))
        prom = Prometheus(f"http://127.0.0.1:{port}")

        def prometheus_ready():
            if prometheus.poll() is not None:
                sys.exit(f"prometheus exited ({prometheus.returncode}):\n{prometheus_log.read_text()}")
            return http(f"{prom.base}/-/ready")[0] == 200

        wait_for("Prometheus to be ready", prometheus_ready, 30)
        print(f"Prometheus serves {prom.base}", flush=True)
        wait_for("the first scrape", lambda: prom.scalar(f'up{{job="{JOB}"}}') == 1, 20)

        # A second audit, so counters and histograms move between scrapes, and some requests to
        # the report so the HTTP series have traffic.
        status, _ = http(f"{base}/audits", method="POST")
        check(status == 202, f"POST /audits starts a second audit ({status})")
        wait_for("the second audit in Prometheus",
                 lambda: (prom.scalar(f'sum(scopewatch_audit_runs_total{{job="{JOB}"}})') or 0) >= 2, 40)
        for _ in range(3):
            http(f"{base}/report")
        # Scrapes after that traffic (the 1 s interval): the newest sample of every series is current.
        scraped = prom.scalar(f'count_over_time(up{{job="{JOB}"}}[10m])') or 0
        wait_for("three more scrapes",
                 lambda: (prom.scalar(f'count_over_time(up{{job="{JOB}"}}[10m])') or 0) >= scraped + 3, 10)

        # The report gauges say what the report says.
        _, body = http(f"{base}/report")
        summary = json.loads(body)["summary"]
        high = prom.scalar(f'scopewatch_high_risk_clients{{job="{JOB}"}}')
        check(high is not None and high == summary["high_risk_count"],
              f"scopewatch_high_risk_clients {high} == report summary.high_risk_count {summary['high_risk_count']}")
        labelled = prom.scalar(f'count(scopewatch_high_risk_clients{{job="{JOB}",org="default"}})')
        check(labelled == 1, f"the report gauges carry org=\"default\" (one series: {labelled})")
        public = prom.scalar(f'scopewatch_public_write_risk_clients{{job="{JOB}"}}')
        check(public == summary["public_write_risks_count"],
              f"scopewatch_public_write_risk_clients {public} == summary.public_write_risks_count {summary['public_write_risks_count']}")
        for level, count in summary.get("by_risk_level", {}).items():
            got = prom.scalar(f'scopewatch_clients{{job="{JOB}",risk_level="{level}"}}')
            check(got == count, f'scopewatch_clients{{risk_level="{level}"}} {got} == summary.by_risk_level.{level} {count}')

        # The demo's clients with HIGH usage anomalies (usage-anomaly) are in scopewatch_findings.
        anomalies = sum(1 for c in json.loads(body)["clients"] for f in c.get("findings", [])
                        if f["rule_id"] == "usage-anomaly" and f["severity"] == "HIGH"
                        and not f.get("suppressed", False))
        shown = prom.scalar(f'scopewatch_findings{{job="{JOB}",rule="usage-anomaly",severity="HIGH"}}')
        check(anomalies > 0 and shown == anomalies,
              f'scopewatch_findings{{rule="usage-anomaly",severity="HIGH"}} {shown} == the report\'s {anomalies} (> 0)')

        # Every dashboard query returns something.
        dashboard = json.loads(DASHBOARD.read_text())
        variables = dashboard_variables(dashboard)
        queries = list(panel_queries(dashboard))
        check(len(queries) > 0, f"the dashboard has queries ({len(queries)})")
        for title, ref, expr in queries:
            try:
                concrete = substitute(expr, variables)
            except KeyError as e:
                check(False, f"{title} [{ref}]: {e}")
                continue
            answer = prom.query(concrete)
            result = answer.get("data", {}).get("result", [])
            ok = answer.get("status") == "success" and len(result) > 0
            shown = ""
            if ok and answer["data"]["resultType"] == "vector":
                values = [float(r["value"][1]) for r in result]
                shown = f" ({len(values)} series, e.g. {values[0]:g})"
            elif ok and answer["data"]["resultType"] == "scalar":
                shown = f" ({result[1]})"
            check(ok, f"panel {title!r} [{ref}] returns data{shown}: {concrete}"
                  + ("" if ok else f" -> {answer.get('error') or 'empty result'}"))

        # Every alert expression evaluates, and Prometheus runs every rule without error.
        groups = yaml.safe_load(ALERTS.read_text())["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        for rule in rules:
            answer = prom.query(rule["expr"])
            check(answer.get("status") == "success",
                  f"alert {rule.get('alert') or rule.get('record')} evaluates: {rule['expr']}"
                  + ("" if answer.get("status") == "success" else f" -> {answer.get('error')}"))
        def evaluated():
            loaded = [r for g in prom.api("rules")["data"]["groups"] for r in g["rules"]]
            done = all(not r.get("lastEvaluation", "0001").startswith("0001") for r in loaded)
            return loaded if loaded and done else None

        loaded = wait_for("Prometheus to evaluate the alert rules", evaluated, 10)
        check(len(loaded) == len(rules), f"Prometheus loaded and evaluated {len(loaded)} of {len(rules)} rules")
        for r in loaded:
            check(r.get("health") == "ok", f"rule {r['name']} health {r.get('health')}"
                  + (f": {r.get('lastError')}" if r.get("lastError") else ""))
        firing = [a["labels"]["alertname"] for a in prom.api("alerts")["data"]["alerts"]]
        print(f"alerts pending or firing now: {sorted(set(firing)) or 'none'}", flush=True)
        # A first audit with HIGH usage anomalies is a rise over nothing: the alert fires at once.
        check("ScopewatchNewHighUsageAnomalies" in firing,
              "the demo's HIGH usage anomalies fire ScopewatchNewHighUsageAnomalies")
    finally:
        stop(prometheus)
        stop(server)
        if args.keep or failures:
            print(f"logs kept in {work}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)

    elapsed = time.monotonic() - started
    if failures:
        sys.exit(f"{len(failures)} Prometheus end-to-end check(s) failed ({elapsed:.0f} s)")
    print(f"Prometheus end to end: every check passed in {elapsed:.0f} s", flush=True)


if __name__ == "__main__":
    main()

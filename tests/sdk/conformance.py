"""Conformance: `scopewatch audit` against answers generated from the official Genesys Cloud
Python SDK's models (issue 20).

For every endpoint scopewatch reads (the token, OAuth clients, roles, scopes, the API
description, creators, the organization, divisions, the audit trail and its realtime query,
usage by the jobs API and by the older query), `generated_org.Org` builds answers from the
SDK's model classes: each optional field absent, null and present, enum values the SDK does not
know, unknown extra fields, empty lists, null `entities`, and seeded random mixes, every one
read back by the SDK first. A small fake upstream on 127.0.0.1 serves one generated org at a
time; the real binary audits each (`scopewatch audit`) and serves two (`scopewatch serve`, the
change poller asking every second).

Every audit must end with exit 0 or 1 (never 3, never a panic), and every OAuth client listed
with an id must be in the report: as a client, or named in a warning (the report's "unreadable"
client entries will replace the warning once they exist; both are accepted). No evidence source
may be lost, no record the SDK reads skipped, no change poll fail.

Usage: python tests/sdk/conformance.py [path/to/scopewatch] [--orgs N] [--seed S]
"""

import argparse
import datetime
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from generated_org import Org
from model_variants import one_offs

# The models whose records vary one field at a time (levels of nested models walked).
VARIED = {"OAuthClient": 2, "DomainOrganizationRole": 2, "AuthzDivision": 1, "User": 0, "OAuthScope": 1,
          "Organization": 1, "AuditLogMessage": 1, "AuditQueryServiceMapping": 2, "ApiUsageRow": 1,
          "OrganizationPublicApiUsage": 2, "IpAddressAuthentication": 0, "OAuthAuthorization": 1}
AUDIT_TIMEOUT = 90

# The warnings of evidence sources that could not be read (README, "The Genesys Cloud client"):
# none may appear, since every answer served is one the SDK reads.
DEGRADED = ["usage evidence unknown", "scope catalog unknown", "API description unreadable", "creators unknown",
            "organization unknown", "IP allowlist unknown", "third-party apps unknown", "divisions unknown",
            "audit trail unknown"]

SWAGGER = {"swagger": "2.0", "info": {"title": "generated", "version": "v2"}, "paths": {
    "/api/v2/users/{userId}": {"get": {"x-inin-requires-permissions": {"type": "ANY", "permissions": ["directory:user:view"]},
                                       "security": [{"PureCloud OAuth": ["users", "users:readonly"]}]}},
    "/api/v2/oauth/clients": {"post": {"x-inin-requires-permissions": {"type": "ALL", "permissions": ["oauth:client:add"]},
                                       "security": [{"PureCloud OAuth": ["oauth"]}]}},
    "/api/v2/routing/queues": {"get": {"security": [{"PureCloud OAuth": ["routing", "routing:readonly"]}]}}}}


def distribute(orgs):
    """The one-field plans of every varied model, dealt round robin to the orgs."""
    dealt = [dict() for _ in range(orgs)]
    total = 0
    for model, levels in VARIED.items():
        plans = one_offs(model, levels)
        total += len(plans)
        for i, plan in enumerate(plans):
            dealt[i % orgs].setdefault(model, []).append(plan)
    return dealt, total


class Upstream(BaseHTTPRequestHandler):
    """Answers as Genesys Cloud does, from the org being audited (`server.org`)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer("GET", b"")

    def do_POST(self):
        self.answer("POST", self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def answer(self, method, body):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        with self.server.lock:
            self.server.calls.append(f"{method} {url.path}")
            found = route(self.server.org, method, url.path, query, self.server, body)
        if found is None:
            self.server.unserved.add(f"{method} {url.path}")
            self.send(404, {"message": "not found", "code": "not.found", "status": 404})
        elif isinstance(found, tuple):
            self.send(*found)
        else:
            self.send(200, found)


def template(call):
    """`METHOD path` with its ids as the API's templates name them."""
    method, path = call.split(" ", 1)
    parts = path.strip("/").split("/")
    if parts[:4] == ["api", "v2", "audits", "query"] and len(parts) >= 5 and parts[4].startswith("t"):
        parts[4] = "{transactionId}"
    elif parts[:4] == ["api", "v2", "usage", "query"] and len(parts) == 6:
        parts[4] = "{executionId}"
    elif parts[:6] == ["api", "v2", "usage", "aggregates", "query", "jobs"] and len(parts) == 7:
        parts[6] = "{jobId}"
    return f"{method} /{'/'.join(parts)}"


# What every run must have asked (so the answers generated for them were tried): usage by the
# jobs API, and by the older query in the orgs whose jobs API answers 404.
EXPECTED = ["POST /oauth/token", "GET /api/v2/oauth/clients", "GET /api/v2/authorization/roles",
            "GET /api/v2/authorization/divisions", "GET /api/v2/oauth/scopes", "GET /api/v2/users",
            "GET /api/v2/organizations/me", "GET /api/v2/organizations/ipaddressauthentication",
            "GET /api/v2/oauth/authorizations",
            "GET /api/v2/audits/query/servicemapping", "POST /api/v2/audits/query",
            "GET /api/v2/audits/query/{transactionId}", "GET /api/v2/audits/query/{transactionId}/results",
            "POST /api/v2/usage/aggregates/query/jobs", "GET /api/v2/usage/aggregates/query/jobs/{jobId}",
            "POST /api/v2/usage/query", "GET /api/v2/usage/query/{executionId}/results"]


def page_of(pages, query):
    number = int(query.get("pageNumber", "1"))
    if 1 <= number <= len(pages):
        return pages[number - 1]
    return {"entities": [], "pageNumber": number, "pageCount": len(pages)}


def route(org, method, path, query, server, body):
    parts = path.strip("/").split("/")
    fixed = {
        ("POST", "/oauth/token"): lambda: org.token,
        ("GET", "/api/v2/oauth/clients"): lambda: org.clients_page,
        ("GET", "/api/v2/authorization/roles"): lambda: page_of(org.role_pages, query),
        ("GET", "/api/v2/authorization/divisions"): lambda: page_of(org.division_pages, query),
        ("GET", "/api/v2/oauth/scopes"): lambda: org.scopes,
        ("GET", "/api/v2/docs/swagger"): lambda: SWAGGER,
        ("GET", "/api/v2/users"): lambda: org.users_page(query.get("id", "").split(",")),
        ("GET", "/api/v2/organizations/me"): lambda: org.organization,
        ("GET", "/api/v2/organizations/ipaddressauthentication"): lambda: org.ip_allowlist,
        ("GET", "/api/v2/oauth/authorizations"): lambda: org.authorizations,
        ("GET", "/api/v2/audits/query/servicemapping"): lambda: org.mapping,
        ("GET", "/api/v2/audits/query/realtime/servicemapping"): lambda: org.mapping,
        ("POST", "/api/v2/audits/query"): lambda: submit_trail(org, server, body),
        ("POST", "/api/v2/audits/query/realtime"): lambda: org.realtime_page,
        ("POST", "/api/v2/usage/query"): lambda: org.usage_submitted,
        ("POST", "/api/v2/usage/aggregates/query/jobs"): lambda: org.job_submitted if org.jobs_available else org.jobs_missing,
    }
    if (method, path) in fixed:
        return fixed[(method, path)]()
    if method == "GET" and parts[:4] == ["api", "v2", "audits", "query"] and len(parts) in (5, 6):
        return trail_answer(org, server, parts[4], len(parts) == 6, query)
    if method == "GET" and parts[:4] == ["api", "v2", "usage", "query"] and len(parts) == 6:
        polls = server.polls.setdefault(path, 0)
        server.polls[path] = polls + 1
        return org.usage_results[min(polls, len(org.usage_results) - 1)]
    if method == "GET" and path == f"/api/v2/usage/aggregates/query/jobs/{org.job_id}":
        polls = server.polls.setdefault(path, 0)
        server.polls[path] = polls + 1
        if polls == 0:
            return org.job_running
        after = query.get("after", "p0")
        return org.job_pages[int(after[1:])] if after[1:].isdigit() and int(after[1:]) < len(org.job_pages) else None
    return None


def submit_trail(org, server, body):
    kind = "OAuthClient"
    try:
        for f in json.loads(body or b"{}").get("filters") or []:
            if f.get("property") == "EntityType":
                kind = f.get("value")
    except ValueError:
        pass
    transaction = f"t{len(server.transactions)}"
    server.transactions[transaction] = [kind, 0]
    answer = dict(org.trail_statuses[0])
    answer["id"] = transaction
    return answer


def trail_answer(org, server, transaction, results, query):
    known = server.transactions.get(transaction)
    if known is None:
        return None
    kind, polls = known
    if not results:
        known[1] += 1
        body = dict(org.trail_statuses[min(polls + 1, 2)])
        body["id"] = transaction
        return body
    pages = org.trail_pages.get(kind, [])
    cursor = query.get("cursor", "c0")
    index = int(cursor[1:]) if cursor[1:].isdigit() else len(pages)
    return pages[index] if index < len(pages) else None


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def reset(self, org):
        self.lock = threading.Lock()
        self.org = org
        self.calls, self.unserved = [], set()
        self.polls, self.transactions = {}, {}


def environment(base, **more):
    return dict(os.environ,
                GENESYS_OAUTH_CLIENT_ID="conformance-client", GENESYS_OAUTH_CLIENT_SECRET="conformance-secret-value",
                GENESYS_API_BASE_URL=base, GENESYS_LOGIN_BASE_URL=base,
                SCOPEWATCH_MAX_REQUESTS_PER_MINUTE="300", SCOPEWATCH_LOG_FORMAT="json", RUST_LOG="warn", **more)


def audit(binary, base, workdir):
    out = os.path.join(workdir, "report.json")
    proc = subprocess.run([binary, "audit", "--output", out], env=environment(base), capture_output=True, text=True,
                          timeout=AUDIT_TIMEOUT)
    report = None
    if os.path.exists(out):
        with open(out) as f:
            report = json.load(f)
        os.remove(out)
    return proc, report


def watch(binary, base, server, org, workdir):
    """`scopewatch serve` on one org with the change poller asking every second: the realtime
    service mapping and the realtime query answer from generated answers too. The problems."""
    server.reset(org)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = environment(base, SCOPEWATCH_LISTEN=f"127.0.0.1:{port}", SCOPEWATCH_CHANGE_POLL="1s",
                      SCOPEWATCH_DATABASE_URL=f"sqlite://{workdir}/watch-{org.number}.db")
    log_path = os.path.join(workdir, f"watch-{org.number}.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=log)
        # A poll whose answer did not read is tried five times, then logged: after six realtime
        # calls at least one poll has ended either way.
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and proc.poll() is None and realtime_calls(server) < 6:
            time.sleep(0.2)
        problems = []
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
                ready = answer.status == 200
        except OSError as e:
            ready = False
            problems.append(f"serve did not answer /readyz: {e}")
        proc.terminate()
        proc.wait(timeout=20)
    with open(log_path) as f:
        stderr = f.read()
    if realtime_calls(server) < 6:
        problems.append(f"the change poller asked the realtime query {realtime_calls(server)} times in 45 s")
    if "GET /api/v2/audits/query/realtime/servicemapping" not in server.calls:
        problems.append("the change poller never read the realtime service mapping")
    if not ready or proc.returncode != 0 or "panicked" in stderr:
        problems.append(f"serve: ready {ready}, exit {proc.returncode}: {stderr.strip()[-600:]}")
    problems += [f"serve: {line[:300]}" for line in stderr.splitlines()
                 if "cannot poll the audit trail" in line or "skipped an audit message" in line]
    print(f"{'ok  ' if not problems else 'FAIL'} org {org.number} served with the change poller: "
          f"{realtime_calls(server)} realtime queries, {len(server.calls)} calls")
    return problems, len(server.calls)


def realtime_calls(server):
    with server.lock:
        return server.calls.count("POST /api/v2/audits/query/realtime")


def check_org(org, proc, report):
    """The problems with one org's audit (empty when it conforms)."""
    problems = []
    if proc.returncode not in (0, 1):
        problems.append(f"exit {proc.returncode}: {proc.stderr.strip()[-600:]}")
    if "panicked" in proc.stderr:
        problems.append("a panic: " + proc.stderr.strip()[-600:])
    if report is None:
        return problems + ["no report written"]
    reported = {c.get("client_id") for c in report.get("clients", [])}
    warnings = " ".join(report.get("warnings", []))
    missing = [i for i in org.client_ids if i and i not in reported and i not in warnings]
    if missing:
        problems.append(f"{len(missing)} listed clients neither in the report nor in a warning: {missing[:5]}")
    problems += [f"an evidence source was not read: {w[:300]}" for w in report.get("warnings", [])
                 if any(w.startswith(d) for d in DEGRADED)]
    # Every record served is one the SDK reads: none may be skipped as unreadable, but for the
    # OAuth clients without an id (optional in the SDK model; nothing to audit them by).
    idless = len(org.clients) - len(org.client_ids)
    for w in report.get("warnings", []):
        m = re.match(r"(\d+) unreadable (.+?) skipped from", w)
        if m and not (m.group(2) == "OAuth clients" and int(m.group(1)) <= idless):
            problems.append(f"records the SDK reads were skipped: {w[:300]}")
    problems += [f"an audit message the SDK reads was skipped: {line[:300]}" for line in proc.stderr.splitlines()
                 if "skipped an audit message" in line]
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", nargs="?", default="target/debug/scopewatch")
    parser.add_argument("--orgs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    started = time.monotonic()
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    dealt, plans = distribute(args.orgs)
    orgs = [Org(n, args.seed * 1000 + n, dealt[n], now) for n in range(args.orgs)]
    answers = sum(o.answers for o in orgs)
    records = sum(o.records for o in orgs)
    variants = sum(o.variants for o in orgs)
    print(f"generated {answers} answers holding {records} records for {len(orgs)} orgs "
          f"({variants} of {plans} one-field variants built in)")

    server = Server(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    failures, tried, unserved, asked = [], 0, set(), set()
    try:
        with tempfile.TemporaryDirectory() as workdir:
            for org in orgs:
                server.reset(org)
                proc, report = audit(args.binary, base, workdir)
                tried += len(server.calls)
                asked |= {template(c) for c in server.calls}
                unserved |= server.unserved
                problems = check_org(org, proc, report)
                warnings = (report or {}).get("warnings", [])
                print(f"{'ok  ' if not problems else 'FAIL'} org {org.number} ({org.style} paging): exit {proc.returncode}, "
                      f"{len(org.client_ids)} clients listed, {len((report or {}).get('clients', []))} reported, "
                      f"{len(server.calls)} calls, {len(warnings)} warnings")
                for w in warnings:
                    print(f"       warning: {w[:200]}")
                failures += [f"org {org.number}: {p}" for p in problems]
            for org in orgs[:2]:
                problems, calls = watch(args.binary, base, server, org, workdir)
                tried += calls
                failures += [f"org {org.number} (serve): {p}" for p in problems]
    finally:
        server.shutdown()
    if unserved:
        print(f"scopewatch asked for paths the fake upstream does not serve: {sorted(unserved)}")
    failures += [f"no audit asked {e}: its generated answers were never tried" for e in EXPECTED if e not in asked]
    print(f"tried {tried} answers in {len(orgs)} audits and 2 served orgs ({time.monotonic() - started:.1f}s)")
    for f in failures:
        print("FAIL " + f)
    if failures:
        sys.exit(f"{len(failures)} conformance failure(s)")
    print("every generated org audits with exit 0 or 1 and reports every listed client")


if __name__ == "__main__":
    main()

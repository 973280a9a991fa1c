"""Case 9 of bench/run.sh (issue 24): many orgs on three `scopewatch serve` replicas sharing one
local PostgreSQL. One `scopewatch sim --orgs N` serves every org; the replicas divide them
(rendezvous hashing over the live replicas, heartbeats in the `replicas` table).

Measured: the time of the first full round (every org has a stored audit, from the replicas'
start), audits per replica and whether every org was audited exactly once in that round (from
the stored audits), peak RSS per replica (VmHWM), database transactions per second per replica
while idle (`pg_stat_database.xact_commit` of the bench's own database, over a window), and the
time for the survivors to audit every org of a replica killed with SIGKILL.

Usage: python bench/replicas.py BINARY --postgres URL [--orgs 1000] [--clients 100]
                                [--idle-seconds 60] [--write BENCHMARKS.md] [--smoke]
URL names a server where the role may create a database; the bench creates its own
(`sw_bench_replicas_<pid>`) and drops it at the end. Everything binds 127.0.0.1 and is bounded.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

REPLICAS = ["replica-1", "replica-2", "replica-3"]
BEGIN = "<!-- replicas: rewritten by bench/replicas.py -->"
END = "<!-- /replicas -->"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def with_database(url, name):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def psql(url, sql):
    out = subprocess.run(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise SystemExit(f"psql failed: {out.stderr.strip()}")
    return [line.split("|") for line in out.stdout.splitlines() if line]


def rss(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def start_sim(binary, work, orgs, clients):
    orgs_file = os.path.join(work, "orgs.toml")
    proc = subprocess.Popen([binary, "sim", "--listen", "127.0.0.1:0", "--orgs", str(orgs),
                             "--clients", str(clients), "--roles", "40", "--seed", "7",
                             "--orgs-file-out", orgs_file],
                            stdout=subprocess.PIPE, text=True)
    banner = proc.stdout.readline()
    if not re.search(r"http://127\.0\.0\.1:\d+", banner):
        proc.kill()
        raise SystemExit(f"the simulator did not start: {banner!r}")
    proc.stdout.readline()  # the orgs file it wrote
    return proc, orgs_file


def start_replica(binary, work, name, orgs_file, database):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS_", "SCOPEWATCH_"))}
    env.update(SCOPEWATCH_ORGS_FILE=orgs_file, SCOPEWATCH_LISTEN="127.0.0.1:0",
               SCOPEWATCH_DATABASE_URL=database, SCOPEWATCH_AUDIT_INTERVAL="24h",
               SCOPEWATCH_CHANGE_POLL="0", SCOPEWATCH_REPLICA_ID=name, SCOPEWATCH_LOG_FORMAT="json")
    err = open(os.path.join(work, f"{name}.log"), "w")
    return subprocess.Popen([binary, "serve"], env=env, stderr=err, stdout=subprocess.DEVNULL)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def xact_commit(admin, name):
    rows = psql(admin, f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{name}'")
    return int(rows[0][0])


def measure(args, work, admin, name, database):
    sim, orgs_file = start_sim(args.binary, work, args.orgs, args.clients)
    procs = {}
    try:
        started = time.monotonic()
        for replica in REPLICAS:
            procs[replica] = start_replica(args.binary, work, replica, orgs_file, database)
        # The first full round: every org has a stored audit.
        first_round = None
        deadline = started + args.round_limit
        while time.monotonic() < deadline:
            for replica, proc in procs.items():
                if proc.poll() is not None:
                    raise SystemExit(f"{replica} exited: {open(os.path.join(work, replica + '.log')).read()[-3000:]}")
            try:
                done = int(psql(database, "SELECT count(DISTINCT org) FROM audits")[0][0])
            except SystemExit:
                done = 0  # the migrations may not have run yet
            if done == args.orgs:
                first_round = time.monotonic() - started
                break
            time.sleep(0.5)
        if first_round is None:
            raise SystemExit(f"only {done} of {args.orgs} orgs audited after {args.round_limit} s")
        log(f"first round of {args.orgs} orgs in {first_round:.1f} s")
        time.sleep(3)  # a late second audit of an org would show up now
        per_org = psql(database, "SELECT max(n), min(n), count(*) FROM "
                                 "(SELECT org, count(*) AS n FROM audits GROUP BY org) o")[0]
        once = per_org[0] == "1" and per_org[1] == "1" and int(per_org[2]) == args.orgs
        failed = int(psql(database, "SELECT count(*) FROM audits WHERE outcome <> 'success'")[0][0])
        share = {r: 0 for r in REPLICAS}
        for replica, count in psql(database, "SELECT replica, count(*) FROM audits GROUP BY replica"):
            share[replica] = int(count)
        total = sum(share.values())
        # Idle: nothing to audit for 24 h; what the replicas ask of the database meanwhile.
        time.sleep(args.settle)
        before, t0 = xact_commit(admin, name), time.monotonic()
        time.sleep(args.idle_seconds)
        after, t1 = xact_commit(admin, name), time.monotonic()
        idle = (after - before) / (t1 - t0) / len(REPLICAS)
        log(f"idle: {idle:.2f} transactions/s per replica")
        peaks = {r: rss(p.pid, "VmHWM") for r, p in procs.items()}
        # Take-over: SIGKILL the last replica; the survivors audit its orgs.
        victim = REPLICAS[-1]
        orgs_of_victim = share[victim]
        killed_at_ms = int(psql(database, "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT")[0][0])
        procs[victim].send_signal(signal.SIGKILL)
        procs[victim].wait()
        killed = time.monotonic()
        take_over, first_taken = None, None
        while time.monotonic() - killed < args.take_over_limit:
            if first_taken is None:
                started = psql(database, f"""SELECT min(a.started_at_ms) - {killed_at_ms} FROM audits a
                    WHERE a.replica <> '{victim}' AND a.started_at_ms >= {killed_at_ms} AND a.org IN
                    (SELECT org FROM audits WHERE replica = '{victim}')""")
                first_taken = float(started[0][0]) / 1000 if started and started[0][0] else None
            left = int(psql(database, f"""SELECT count(*) FROM (SELECT DISTINCT org FROM audits
                WHERE replica = '{victim}') v WHERE NOT EXISTS (SELECT 1 FROM audits a WHERE a.org = v.org
                AND a.replica <> '{victim}' AND a.started_at_ms >= {killed_at_ms})""")[0][0])
            if left == 0:
                take_over = time.monotonic() - killed
                break
            time.sleep(0.5)
        log(f"take-over of {orgs_of_victim} orgs: {take_over if take_over is None else round(take_over, 1)} s")
        for r, p in procs.items():
            if p.poll() is None:
                peaks[r] = rss(p.pid, "VmHWM")
        return dict(orgs=args.orgs, clients=args.clients, first_round=first_round, once=once,
                    failed=failed, share=share, total=total, peaks=peaks, idle=idle,
                    idle_seconds=args.idle_seconds, take_over=take_over, victim_orgs=orgs_of_victim,
                    first_taken=first_taken, take_over_limit=args.take_over_limit)
    finally:
        for proc in procs.values():
            stop(proc)
        stop(sim)


def markdown(r, load, binary):
    pct = {k: 100.0 * v / max(r["total"], 1) for k, v in r["share"].items()}
    ok = lambda cond: "met" if cond else "**missed**"
    lines = [
        BEGIN,
        "",
        f"### Case 9: {r['orgs']} orgs x {r['clients']} clients on 3 replicas, one PostgreSQL",
        "",
        f"`bench/replicas.py` (`bench/run.sh`, {time.strftime('%Y-%m-%d %H:%M')}, `{binary}`): one `scopewatch sim --orgs "
        f"{r['orgs']}`, three `scopewatch serve` on one local PostgreSQL database of its own, "
        f"`SCOPEWATCH_MAX_CONCURRENT_AUDITS` at its default. Load average at the start: {load}; the "
        "machine (2 cores) is shared with other work, so times are upper bounds.",
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
        f"| first full round (every org stored) | {r['first_round']:.1f} s | <= 120 s | {ok(r['first_round'] <= 120)} |",
        f"| every org audited exactly once in it | {'yes' if r['once'] else 'no'} ({r['failed']} failed) | yes | {ok(r['once'])} |",
    ]
    for name, count in r["share"].items():
        lines.append(f"| audits by {name} | {count} ({pct[name]:.1f}%) | 20-47% | {ok(20 <= pct[name] <= 47)} |")
    for name, peak in r["peaks"].items():
        lines.append(f"| peak RSS of {name} | {peak:.0f} MiB | <= 512 MiB | {ok(peak <= 512)} |")
    lines.append(f"| idle database transactions per replica ({r['idle_seconds']} s window, xact_commit) | "
                 f"{r['idle']:.2f}/s | <= 5/s | {ok(r['idle'] <= 5)} |")
    took = f"not all within {r['take_over_limit']} s" if r["take_over"] is None else f"{r['take_over']:.1f} s"
    first = "none" if r["first_taken"] is None else f"{r['first_taken']:.1f} s"
    lines.append(f"| first audit of a SIGKILLed replica's org by a survivor | {first} after the kill | "
                 "<= 25 s (TTL 20 s + heartbeat 5 s) | "
                 f"{ok(r['first_taken'] is not None and r['first_taken'] <= 25)} |")
    lines.append(f"| survivors audit the {r['victim_orgs']} orgs of a SIGKILLed replica | {took} | <= 120 s | "
                 f"{ok(r['take_over'] is not None and r['take_over'] <= 120)} |")
    lines += ["", END]
    return "\n".join(lines)


def write(path, section):
    text = open(path).read() if os.path.exists(path) else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + section + tail
    elif "\n## Notes" in text:
        # First time: at the top of the hand-written notes (the harness keeps them).
        head, rest = text.split("\n## Notes", 1)
        heading, notes = rest.split("\n", 1)
        text = head + "\n## Notes" + heading + "\n\n" + section + "\n" + notes
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--postgres", required=True, help="a server URL whose role may create databases")
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--idle-seconds", type=int, default=60)
    parser.add_argument("--settle", type=int, default=30, help="seconds after the round before idle is measured")
    parser.add_argument("--round-limit", type=int, default=600)
    parser.add_argument("--take-over-limit", type=int, default=180)
    parser.add_argument("--smoke", action="store_true", help="30 orgs x 20 clients, short windows, asserts")
    parser.add_argument("--write", help="replace case 9's section of this BENCHMARKS.md")
    args = parser.parse_args()
    if args.smoke:
        args.orgs, args.clients, args.idle_seconds, args.settle = 30, 20, 15, 12
        args.round_limit, args.take_over_limit = 60, 60
    name = f"sw_bench_replicas_{os.getpid()}"
    admin = args.postgres
    psql(admin, f"CREATE DATABASE {name}")
    load = open("/proc/loadavg").read().split()[:3]
    try:
        with tempfile.TemporaryDirectory(prefix="sw-replicas-") as work:
            result = measure(args, work, admin, name, with_database(admin, name))
    finally:
        psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    section = markdown(result, " ".join(load), os.path.relpath(args.binary))
    print(section)
    if args.write:
        write(args.write, section)
    if args.smoke:
        problems = []
        if not result["once"]:
            problems.append("an org was not audited exactly once in the first round")
        if any(v == 0 for v in result["share"].values()):
            problems.append(f"a replica audited nothing: {result['share']}")
        if result["take_over"] is None:
            problems.append("the killed replica's orgs were not taken over")
        if result["idle"] > 5:
            problems.append(f"idle load {result['idle']:.2f} transactions/s per replica")
        if problems:
            raise SystemExit("replicas smoke failed: " + "; ".join(problems))
        log("replicas smoke passed")


if __name__ == "__main__":
    main()

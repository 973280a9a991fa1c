"""Checks the deployment files that cannot run here (no container engine, no cluster): the
Dockerfile, docker-compose.yml and the Kubernetes manifests say what SPEC §11 asks, and the
alert rules name only metrics scopewatch exports. promtool and hadolint run beside it in .ci/run.

Usage: python tests/deploy/check_deploy.py
"""

import pathlib
import re
import sys

import yaml

root = pathlib.Path(__file__).resolve().parents[2]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def load(path):
    return yaml.safe_load((root / path).read_text())


# Dockerfile: multi-stage, non-root, HEALTHCHECK, the binary as entrypoint.
dockerfile = (root / "Dockerfile").read_text()
check(len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2, "the Dockerfile is multi-stage")
user = re.findall(r"^USER (\S+)", dockerfile, re.M)
check(bool(user) and not user[-1].startswith(("0", "root")), f"the image runs as a non-root user ({user})")
check(re.search(r"^HEALTHCHECK .*scopewatch\", \"healthcheck\"", dockerfile, re.M | re.S) is not None, "the image has a HEALTHCHECK")
check("SCOPEWATCH_DATABASE_URL=sqlite:///data/" in dockerfile and 'VOLUME ["/data"]' in dockerfile, "the SQLite file lives on the /data volume (read-only root)")

# docker-compose.yml: demo + PostgreSQL + Prometheus with the alert rules.
compose = load("docker-compose.yml")
services = compose["services"]
check(set(services) >= {"scopewatch", "postgres", "prometheus"}, "compose runs scopewatch, PostgreSQL and Prometheus")
sw = services["scopewatch"]
check(sw["command"] == ["serve", "--demo"], "compose runs the demo")
check(sw.get("read_only") is True and not str(sw.get("user", "0")).startswith("0"), "compose: read-only root, non-root user")
check(sw["environment"]["SCOPEWATCH_DATABASE_URL"].startswith("postgres://"), "compose stores history in PostgreSQL")
for volume in services["prometheus"]["volumes"]:
    source = volume.split(":")[0]
    check((root / source).exists(), f"compose mounts an existing file {source}")
prometheus = load("deploy/prometheus/prometheus.yml")
targets = prometheus["scrape_configs"][0]["static_configs"][0]["targets"]
check(targets == ["scopewatch:8080"], "Prometheus scrapes scopewatch")

# Kubernetes: every resource exists; probes, security context, secrets, replicas.
kustomization = load("deploy/kubernetes/kustomization.yaml")
for resource in kustomization["resources"]:
    check((root / "deploy/kubernetes" / resource).exists(), f"kustomization resource {resource} exists")
deployment = load("deploy/kubernetes/deployment.yaml")
pod = deployment["spec"]["template"]["spec"]
container = pod["containers"][0]
check(deployment["spec"]["replicas"] == 3, "three replicas")
check(container["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness probe on /readyz")
check(container["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness probe on /healthz")
check(pod["securityContext"]["runAsNonRoot"] is True, "pods run as non-root")
check(container["securityContext"]["readOnlyRootFilesystem"] is True, "read-only root filesystem")
check(container["securityContext"]["allowPrivilegeEscalation"] is False, "no privilege escalation")
secret_env = {e["name"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})}
check({"GENESYS_OAUTH_CLIENT_SECRET", "SCOPEWATCH_DATABASE_URL"} <= secret_env, "credentials come from a Secret reference")
literals = dict(l.split("=", 1) for l in kustomization["configMapGenerator"][1]["literals"])
mount = container["volumeMounts"][0]["mountPath"]
check(literals["SCOPEWATCH_POLICY"].startswith(mount + "/"), "SCOPEWATCH_POLICY points into the policy ConfigMap mount")
check(pod["terminationGracePeriodSeconds"] > 10, "the grace period covers scopewatch's 10 s shutdown")

# The PrometheusRule carries exactly the alert rules promtool tests.
rule = load("deploy/kubernetes/prometheusrule.yaml")
check(rule["spec"] == load("deploy/prometheus/alerts.yml"), "PrometheusRule groups equal deploy/prometheus/alerts.yml")

# Alerts name only metrics scopewatch exports.
exported = set(re.findall(r'"(scopewatch_[a-z_]+)"', (root / "src/metrics.rs").read_text()))
used = set(re.findall(r"scopewatch_[a-z_]+", (root / "deploy/prometheus/alerts.yml").read_text()))
check(used and used <= exported, f"alert metrics are exported: {sorted(used - exported) or 'all'}")

if failures:
    sys.exit(f"{len(failures)} deployment check(s) failed")
print("deployment files say what SPEC §11 asks")

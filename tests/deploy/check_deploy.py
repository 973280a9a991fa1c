"""Checks the deployment files that cannot run here (no container engine, no cluster): the
Dockerfile, docker-compose.yml (default and postgres profile), the Grafana provisioning and
dashboard, and the Kubernetes base, overlays and NetworkPolicy say what the README
ask, and the alert rules and dashboard queries name only metrics scopewatch exports. promtool,
hadolint, check-jsonschema, kubectl kustomize with kubernetes-validate, and the Prometheus end to
end run beside it in .ci/run.

Usage: python tests/deploy/check_deploy.py
"""

import json
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
check("--chown=65532:65532 /data /data" in dockerfile, "the image's /data belongs to the runtime user (a new volume copies it)")

# docker-compose.yml: by default the demo on SQLite with Prometheus and Grafana; the postgres
# profile adds PostgreSQL and a scopewatch on it.
compose = load("docker-compose.yml")
services = compose["services"]
default = {name for name, s in services.items() if not s.get("profiles")}
in_postgres = {name for name, s in services.items() if "postgres" in s.get("profiles", [])}
check(default == {"scopewatch", "prometheus", "grafana"}, f"compose default: scopewatch, Prometheus, Grafana ({sorted(default)})")
check(in_postgres == {"postgres", "scopewatch-postgres"}, f"compose profile postgres adds PostgreSQL and scopewatch on it ({sorted(in_postgres)})")
for name in ("scopewatch", "scopewatch-postgres"):
    sw = services[name]
    check(sw["command"] == ["serve", "--demo"], f"compose {name} runs the demo")
    check(sw.get("read_only") is True and not str(sw.get("user", "0")).startswith("0"), f"compose {name}: read-only root, non-root user")
    check(sw.get("cap_drop") == ["ALL"] and "no-new-privileges:true" in sw.get("security_opt", []), f"compose {name}: no capabilities, no new privileges")
sw = services["scopewatch"]
check(sw["environment"]["SCOPEWATCH_DATABASE_URL"] == "sqlite:///data/scopewatch.db", "compose default stores history in SQLite under /data")
check(any(str(v).endswith(":/data") for v in sw.get("volumes", [])), "compose mounts a volume at /data for the SQLite file")
pg = services["scopewatch-postgres"]
check(pg["environment"]["SCOPEWATCH_DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in pg["environment"]["SCOPEWATCH_DATABASE_URL"], "compose profile postgres points scopewatch at the postgres service")
check(pg.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy", "scopewatch-postgres waits for a healthy PostgreSQL")
for name in ("prometheus", "grafana"):
    for volume in services[name]["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./"):
            check((root / source).exists(), f"compose {name} mounts an existing path {source}")
grafana = services["grafana"]
check(grafana["image"].startswith("grafana/grafana:"), "compose runs the official Grafana image")
check("./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"], "Grafana gets the provisioning files")
datasources = load("deploy/grafana/provisioning/datasources/prometheus.yml")["datasources"]
check([d["type"] for d in datasources] == ["prometheus"] and datasources[0]["url"] == "http://prometheus:9090", "Grafana's datasource is the compose Prometheus")
provider = load("deploy/grafana/provisioning/dashboards/scopewatch.yml")["providers"][0]
dash_mount = [v for v in grafana["volumes"] if v.startswith("./deploy/grafana/scopewatch.json:")]
check(len(dash_mount) == 1 and dash_mount[0].split(":")[1].startswith(provider["options"]["path"] + "/"), "Grafana loads the dashboard from where compose mounts it")
prometheus = load("deploy/prometheus/prometheus.yml")
jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
check(jobs["scopewatch"]["static_configs"][0]["targets"] == ["scopewatch:8080"], "Prometheus scrapes scopewatch")
check(jobs["scopewatch-postgres"]["dns_sd_configs"][0]["names"] == ["scopewatch-postgres"], "Prometheus scrapes scopewatch-postgres when the profile runs it")

# The Grafana dashboard: the datasource is a variable, every panel asks Prometheus through it, and
# every panel the README names is there with the metric it shows.
dashboard = json.loads((root / "deploy/grafana/scopewatch.json").read_text())
variables = {v["name"]: v for v in dashboard["templating"]["list"]}
check(variables.get("datasource", {}).get("type") == "datasource" and variables["datasource"].get("query") == "prometheus", "the dashboard's datasource is a Prometheus datasource variable")
check(dashboard.get("schemaVersion", 0) >= 36, f"dashboard schemaVersion {dashboard.get('schemaVersion')}")
panels = {p["title"]: p for p in dashboard["panels"] if p["type"] != "row"}
check(all(p["datasource"] == {"type": "prometheus", "uid": "${datasource}"} and all(t["datasource"] == p["datasource"] for t in p["targets"]) for p in panels.values()), "every panel and query uses ${datasource}")
ids = [p["id"] for p in dashboard["panels"]]
check(len(ids) == len(set(ids)), "panel ids are unique")
expected_panels = {
    "Clients by risk level": "scopewatch_clients{",
    "High-risk clients": "scopewatch_high_risk_clients",
    "Public clients with write scopes": "scopewatch_public_write_risk_clients",
    "High-risk and public-write clients": "scopewatch_public_write_risk_clients",
    "Findings by rule and severity": "scopewatch_findings{",
    "New and resolved findings per audit": "scopewatch_last_audit_resolved_findings",
    "Clients with usage anomalies": 'rule="usage-anomaly"',
    "Audit duration": "scopewatch_audit_duration_seconds_bucket",
    "Audits by outcome": "scopewatch_audit_runs_total",
    "Last audit": "scopewatch_last_audit_success{",
    "Age of the last good report": "time() - max by (org) (scopewatch_last_audit_success_timestamp_seconds",
    "Upstream requests by endpoint and status": "scopewatch_upstream_requests_total",
    "Retries by reason": "scopewatch_upstream_retries_total",
    "Store errors by operation": "scopewatch_store_errors_total",
    "Audits waiting for the database": "scopewatch_store_pending_writes",
    "HTTP requests by route and status": "scopewatch_http_requests_total",
    "HTTP latency by route (p95)": "scopewatch_http_request_duration_seconds_bucket",
    "Audit failures by reason": "scopewatch_audit_failures_total",
    "Webhook messages by outcome": "scopewatch_webhook_deliveries_total",
}
org_wide = ("scopewatch_http_", "scopewatch_build_info")
for title, panel in panels.items():
    for target in panel.get("targets", []):
        if "scopewatch_" in target["expr"] and not any(m in target["expr"] for m in org_wide):
            check('org=~"$org"' in target["expr"],
                  f"dashboard panel {title!r} filters on the org variable: {target['expr']}")
for title, metric in expected_panels.items():
    exprs = " ".join(t["expr"] for t in panels.get(title, {}).get("targets", []))
    check(metric in exprs, f"dashboard panel {title!r} queries {metric.rstrip('{')}")
readme = (root / "README.md").read_text()
check(all(f"*{title}*" in readme for title in panels), f"the README names every dashboard panel: {sorted(t for t in panels if f'*{t}*' not in readme) or 'all'}")

# Kubernetes: deploy/kubernetes renders the base (base/); the overlays build on it.
check(load("deploy/kubernetes/kustomization.yaml")["resources"] == ["base"], "deploy/kubernetes is the base")
kustomization = load("deploy/kubernetes/base/kustomization.yaml")
for resource in kustomization["resources"]:
    check((root / "deploy/kubernetes/base" / resource).exists(), f"kustomization resource {resource} exists")
deployment = load("deploy/kubernetes/base/deployment.yaml")
pod = deployment["spec"]["template"]["spec"]
container = pod["containers"][0]
check(deployment["spec"]["replicas"] == 3, "three replicas in the base")
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

# NetworkPolicy: ingress from the namespace and Prometheus' namespace; egress DNS, 5432, 443.
check("networkpolicy.yaml" in kustomization["resources"], "the base has the NetworkPolicy")
policy = load("deploy/kubernetes/base/networkpolicy.yaml")
spec = policy["spec"]
check(policy["kind"] == "NetworkPolicy" and set(spec["policyTypes"]) == {"Ingress", "Egress"}, "the NetworkPolicy restricts ingress and egress")
check(spec["podSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"], "the NetworkPolicy selects scopewatch's pods")
peers = [peer for rule in spec["ingress"] for peer in rule["from"]]
check({"podSelector": {}} in peers, "ingress from every pod of the namespace")
check(any(p.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") == "monitoring" for p in peers), "ingress from the monitoring namespace (Prometheus)")
egress = {(p["port"], p.get("protocol", "TCP")) for rule in spec["egress"] for p in rule["ports"]}
check(egress == {(53, "UDP"), (53, "TCP"), (5432, "TCP"), (443, "TCP")}, f"egress only to DNS, the database and 443 ({sorted(egress)})")

# Overlays: sqlite (one replica, a PersistentVolumeClaim at /data, the SQLite URL); postgres
# (three replicas, a PodDisruptionBudget, the URL from the Secret).
sqlite = load("deploy/kubernetes/overlays/sqlite/kustomization.yaml")
check("../../base" in sqlite["resources"] and sqlite["replicas"] == [{"name": "scopewatch", "count": 1}], "overlay sqlite: the base with one replica")
pvc = load("deploy/kubernetes/overlays/sqlite/pvc.yaml")
check(pvc["kind"] == "PersistentVolumeClaim" and "pvc.yaml" in sqlite["resources"], "overlay sqlite has a PersistentVolumeClaim")
patch = load("deploy/kubernetes/overlays/sqlite/deployment-patch.yaml")
patched = patch["spec"]["template"]["spec"]
check(patched["volumes"][0]["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"] and patched["containers"][0]["volumeMounts"][0] == {"name": patched["volumes"][0]["name"], "mountPath": "/data"}, "overlay sqlite mounts the claim at /data")
check(patched["containers"][0]["env"] == [{"name": "SCOPEWATCH_DATABASE_URL", "value": "sqlite:///data/scopewatch.db", "valueFrom": None}], "overlay sqlite sets the SQLite URL in place of the Secret's")
check(patch["spec"]["strategy"]["type"] == "Recreate", "overlay sqlite replaces its one pod (ReadWriteOnce)")
postgres = load("deploy/kubernetes/overlays/postgres/kustomization.yaml")
check("../../base" in postgres["resources"] and postgres["replicas"] == [{"name": "scopewatch", "count": 3}], "overlay postgres: the base with three replicas")
pdb = load("deploy/kubernetes/overlays/postgres/poddisruptionbudget.yaml")
check(pdb["kind"] == "PodDisruptionBudget" and "poddisruptionbudget.yaml" in postgres["resources"], "overlay postgres has a PodDisruptionBudget")
check(pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"] and pdb["spec"].get("maxUnavailable") == 1, "the PodDisruptionBudget keeps all but one scopewatch pod")

# The PrometheusRule carries exactly the alert rules promtool tests.
rule = load("deploy/kubernetes/base/prometheusrule.yaml")
check(rule["spec"] == load("deploy/prometheus/alerts.yml"), "PrometheusRule groups equal deploy/prometheus/alerts.yml")

# Alerts and dashboard queries name only metrics scopewatch exports (a histogram's series carry
# _bucket, _sum and _count).
metrics_source = " ".join(p.read_text() for p in sorted((root / "src/metrics").glob("*.rs")))
exported = set(re.findall(r'"(scopewatch_[a-z_]+)"', metrics_source))
series = exported | {f"{m}{suffix}" for m in exported for suffix in ("_bucket", "_sum", "_count")}
used = set(re.findall(r"scopewatch_[a-z_]+", (root / "deploy/prometheus/alerts.yml").read_text()))
check(used and used <= exported, f"alert metrics are exported: {sorted(used - exported) or 'all'}")
queried = set(re.findall(r"scopewatch_[a-z_]+", " ".join(t["expr"] for p in panels.values() for t in p["targets"])))
check(queried and queried <= series, f"dashboard metrics are exported: {sorted(queried - series) or 'all'}")

if failures:
    sys.exit(f"{len(failures)} deployment check(s) failed")
print("deployment files say what the README asks")

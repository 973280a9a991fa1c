"""Points the official Genesys Cloud Python SDK at `scopewatch sim` and checks that it works
unchanged: login, client listing, role paging (with policies narrowed to named resources
or a condition), the usage jobs API to Succeeded with nextUri paging, the per-client usage jobs
(calls from another org), and the older usage query to Complete (only the metrics asked), the scope catalog,
the organization, divisions, users, the audit trail (service mapping, the query to Succeeded
with cursor paging, the realtime query), creating, changing and deleting a client, every
model parsed without an unknown enum value ("outdated_sdk_version"), and `sim --orgs`: each org's
auditor from the written orgs file logs in and reads its own org.

Usage: python tests/sdk/check_simulator.py [path/to/scopewatch]
"""

import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

import PureCloudPlatformClientV2 as gc
from PureCloudPlatformClientV2.rest import ApiException

CLIENT_ID = "sdk-check-client"
SECRET = "sdk-check-secret-value"
OPERATOR_ID = "sdk-check-operator"
OPERATOR_SECRET = "sdk-check-operator-secret"
CLIENTS = 300
ROLES = 130

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def unknown_enums(value, path="$"):
    """Paths of every value the SDK replaced with its unknown-enum marker."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += unknown_enums(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += unknown_enums(v, f"{path}[{i}]")
    elif value == "outdated_sdk_version":
        found.append(path)
    return found


def start_simulator(binary):
    proc = subprocess.Popen(
        [binary, "sim", "--listen", "127.0.0.1:0", "--clients", str(CLIENTS), "--roles", str(ROLES),
         "--seed", "5", "--client-id", CLIENT_ID, "--client-secret", SECRET, "--usage-running-polls", "2",
         "--audit-running-polls", "2", "--operator", f"{OPERATOR_ID}:{OPERATOR_SECRET}"],
        stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
    if not match:
        proc.kill()
        sys.exit(f"simulator did not start: {line!r}")
    return proc, match.group(1)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/debug/scopewatch"
    proc, base = start_simulator(binary)
    try:
        run_checks(base)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    check_many_orgs(binary)
    if failures:
        sys.exit(f"{len(failures)} SDK check(s) failed")
    print("the official SDK works unchanged against the simulator")


def run_checks(base):
    # Wrong secret: the token endpoint answers in the OAuth error shape.
    try:
        gc.api_client.ApiClient(host=base).get_client_credentials_token(CLIENT_ID, "wrong")
        check(False, "a wrong secret is refused")
    except ApiException as e:
        check(e.status == 401 and "authentication failed" in (e.body or ""), "a wrong secret is refused with 401 invalid_client")

    api = gc.api_client.ApiClient(host=base).get_client_credentials_token(CLIENT_ID, SECRET)
    check(bool(api.access_token), "client-credentials login returns a token")

    oauth = gc.OAuthApi(api)
    listing = oauth.get_oauth_clients()
    check(len(listing.entities) == CLIENTS + 2, f"lists all {CLIENTS + 2} clients in one page")
    check(listing.page_count == 1 and listing.next_uri is None, "the client listing has one page and no nextUri")
    grants = {c.authorized_grant_type for c in listing.entities}
    check(grants == {"CODE", "TOKEN", "SAML2-BEARER", "PASSWORD", "CLIENT-CREDENTIALS"}, f"every grant type is present: {sorted(grants)}")
    states = {c.state for c in listing.entities}
    check(states == {"active", "disabled", "inactive"}, f"every state is present: {sorted(states)}")
    check(all(c.secret is None for c in listing.entities), "no secret is listed")
    check(all(isinstance(c.date_created, datetime.datetime) for c in listing.entities), "dateCreated parses as a datetime")
    check(not unknown_enums(listing.to_dict()), "client models have no unknown enum value")

    one = oauth.get_oauth_client(listing.entities[0].id)
    check(one.id == listing.entities[0].id and one.name == listing.entities[0].name, "gets one client by id")
    try:
        oauth.get_oauth_client("no-such-client")
        check(False, "an unknown client id is 404")
    except ApiException as e:
        check(e.status == 404 and "not.found" in (e.body or ""), "an unknown client id is 404 not.found")

    authz = gc.AuthorizationApi(api)
    roles, page, pages = [], 1, None
    while True:
        result = authz.get_authorization_roles(page_size=25, page_number=page)
        check(not unknown_enums(result.to_dict()), f"role page {page} has no unknown enum value")
        roles += result.entities
        pages = result.page_count
        if result.next_uri is None:
            break
        page += 1
    check(len(roles) == ROLES + 2 and page == pages == 6, f"pages roles to the last page ({len(roles)} roles, {page} of {pages} pages)")
    check(len({r.id for r in roles}) == len(roles), "role pages do not overlap")
    check(any("admin" in (r.permissions or []) for r in roles), "a Master Admin role with the admin permission exists")
    policies = [p for r in roles for p in (r.permission_policies or [])]
    named = [p for p in policies if p.named_resources]
    check(len(named) >= 3 and all(isinstance(n, str) for p in named for n in p.named_resources),
          f"policies narrowed to named resources read as lists of ids ({len(named)})")
    conditioned = [p for p in policies if p.resource_condition_node is not None]
    check(len(conditioned) >= 3 and all(
        p.allow_conditions is True
        and isinstance(p.resource_condition_node, gc.DomainResourceConditionNode)
        and p.resource_condition_node.conjunction == "AND"
        and all(isinstance(t, gc.DomainResourceConditionNode) and t.variable_name and t.operator in ("EQ", "IN")
                and all(isinstance(o, gc.DomainResourceConditionValue) and o.type == "SCALAR" for o in t.operands)
                for t in p.resource_condition_node.terms)
        for p in conditioned), f"policies with a resource condition read as DomainResourceConditionNode trees ({len(conditioned)})")

    check_usage(api)
    rows = check_usage_jobs(api)
    check_client_usage_jobs(api, rows)

    scopes = oauth.get_oauth_scopes()
    check(scopes.total == len(scopes.entities) > 50 and any(s.id == "users:readonly" for s in scopes.entities), "reads the scope catalog")

    check_directory(api, listing)
    check_authorizations(api, listing)
    check_trail(api, listing)
    check_changes(base, api)



METRICS = ["Requests", "Status200", "Status300", "Status400", "Status429", "Status500"]


def usage_interval(days=90):
    end = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    start = end - datetime.timedelta(days=days)
    return f"{start.isoformat().replace('+00:00', 'Z')}/{end.isoformat().replace('+00:00', 'Z')}"


def check_usage(api):
    """The older org usage query, which scopewatch uses only where the jobs API is absent."""
    usage = gc.UsageApi(api)
    query = gc.ApiUsageOrganizationQuery()
    query.interval = usage_interval()
    query.granularity = "Day"
    query.group_by = ["OAuthClientId", "TemplateUri", "HttpMethod"]
    query.metrics = METRICS
    execution = usage.post_usage_query(query)
    check(bool(execution.execution_id) and execution.results_uri.startswith("/api/v2/usage/query/"), "submits the org usage query")
    statuses = []
    for _ in range(10):
        result = usage.get_usage_query_execution_id_results(execution.execution_id)
        statuses.append(result.query_status)
        if result.query_status == "Complete":
            break
        time.sleep(0.1)
    check(statuses[0] == "Running" and statuses[-1] == "Complete", f"the usage query answers Running then Complete: {statuses}")
    check(len(result.results) > 0 and all(r.client_id and r.date for r in result.results), f"usage rows carry clientId and date ({len(result.results)} rows)")
    check(not unknown_enums(result.to_dict()), "usage models have no unknown enum value")
    today = datetime.datetime.now(datetime.timezone.utc).date()
    check(all(r.date.date() < today for r in result.results), "no usage row of today (usage is up to a day old)")
    by_endpoint = [r for r in result.results if r.template_uri and r.http_method]
    check(len(by_endpoint) > 0 and all(not r.template_uri.startswith("/") and r.http_method.isupper() for r in by_endpoint),
          f"usage rows grouped by endpoint carry templateUri (no leading slash) and httpMethod ({len(by_endpoint)} rows)")
    check(any(r.status200 == 0 and r.status400 == r.requests for r in by_endpoint), "some endpoint rows are refused calls (all 4xx)")
    query.metrics = ["Requests"]
    only = usage.post_usage_query(query)
    for _ in range(10):
        result = usage.get_usage_query_execution_id_results(only.execution_id)
        if result.query_status == "Complete":
            break
        time.sleep(0.1)
    check(all(r.requests is not None and r.status200 is None for r in result.results), "the usage query answers only the metrics asked")
    query.metrics = ["Requests", "Bogus"]
    try:
        usage.post_usage_query(query)
        check(False, "an unknown usage metric is refused")
    except ApiException as e:
        check(e.status == 400 and "bad.request" in (e.body or ""), "an unknown usage metric is 400 bad.request")


def check_usage_jobs(api):
    """The usage jobs API scopewatch reads: submit, Running, then Succeeded pages by nextUri."""
    usage = gc.UsageApi(api)
    query = gc.OrganizationPublicApiUsageQueryRequest()
    query.interval = usage_interval()
    query.granularity = "Day"
    query.group_by = ["OauthClientId", "TemplateUri", "HttpMethod"]
    query.metrics = METRICS
    job = usage.post_usage_aggregates_query_jobs(query)
    check(bool(job.id) and job.results_uri == f"/api/v2/usage/aggregates/query/jobs/{job.id}", "submits a usage job")
    statuses, rows, pages, after = [], [], 0, None
    for _ in range(200):
        kwargs = {"page_size": 200}
        if after:
            kwargs["after"] = after
        result = usage.get_usage_aggregates_query_job(job.id, **kwargs)
        statuses.append(result.query_status)
        if result.query_status in ("Queued", "Running"):
            time.sleep(0.1)
            continue
        pages += 1
        check(not unknown_enums(result.to_dict()), f"usage job page {pages} has no unknown enum value")
        rows += result.entities or []
        if not result.next_uri:
            break
        after = urllib.parse.parse_qs(urllib.parse.urlparse(result.next_uri).query)["after"][0]
    check(statuses[0] == "Running" and statuses[-1] == "Succeeded", f"the usage job answers Running then Succeeded: {statuses[:3]}...")
    check(pages > 1, f"the usage job pages its rows with nextUri ({len(rows)} rows, {pages} pages)")
    today = datetime.datetime.now(datetime.timezone.utc).date()
    check(len(rows) > 0 and all(r.oauth_client and r.oauth_client.id and isinstance(r.date, datetime.date) and r.date < today for r in rows),
          "usage job rows carry oauthClient.id and a date before today")
    check(all(r.request_count is not None and r.status200 is not None and r.status429 is not None for r in rows), "usage job rows carry the metrics asked")
    check(all(r.http_method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD") and not r.template_uri.startswith("/") for r in rows if r.template_uri),
          "usage job rows carry httpMethod and templateUri as the model allows")
    query.metrics = ["Requests"]
    only = usage.post_usage_aggregates_query_jobs(query)
    for _ in range(10):
        result = usage.get_usage_aggregates_query_job(only.id, page_size=1000)
        if result.query_status == "Succeeded":
            break
        time.sleep(0.1)
    check(all(r.request_count is not None and r.status200 is None for r in result.entities or []), "a usage job answers only the metrics asked")
    query.metrics = ["Bogus"]
    try:
        usage.post_usage_aggregates_query_jobs(query)
        check(False, "a usage job with an unknown metric is refused")
    except ApiException as e:
        check(e.status == 400 and "bad.request" in (e.body or ""), "a usage job with an unknown metric is 400 bad.request")
    return rows


def check_client_usage_jobs(api, rows):
    """The per-client usage jobs scopewatch reads for calls from other orgs: the busiest client of
    the last week (the generated org has one called from another org) by calling org, endpoint and
    day, Running then Succeeded, rows ClientPublicApiUsage with organizationId."""
    usage = gc.UsageApi(api)
    week_ago = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=7)
    recent = [r for r in rows if r.date >= week_ago and r.request_count]
    check(len(recent) > 0, f"the org has usage in the last week ({len(recent)} rows)")
    if not recent:
        return
    client_id = max(recent, key=lambda r: r.request_count).oauth_client.id
    query = gc.ClientPublicApiUsageQueryRequest()
    query.interval = usage_interval(7)
    query.granularity = "Day"
    query.group_by = ["OrganizationId", "TemplateUri", "HttpMethod"]
    query.metrics = ["Requests"]
    job = usage.post_usage_client_client_id_aggregates_query_jobs(client_id, query)
    check(bool(job.id) and job.results_uri == f"/api/v2/usage/client/{client_id}/aggregates/query/jobs/{job.id}",
          "submits a per-client usage job")
    statuses = []
    for _ in range(20):
        result = usage.get_usage_client_client_id_aggregates_query_job(client_id, job.id, page_size=100)
        statuses.append(result.query_status)
        if result.query_status == "Succeeded":
            break
        time.sleep(0.1)
    check(statuses[0] == "Running" and statuses[-1] == "Succeeded", f"the per-client usage job answers Running then Succeeded: {statuses}")
    entities = result.entities or []
    check(all(isinstance(r, gc.ClientPublicApiUsage) for r in entities), "per-client usage rows read as ClientPublicApiUsage")
    check(not unknown_enums(result.to_dict()), "per-client usage models have no unknown enum value")
    own = gc.OrganizationApi(api).get_organizations_me().id
    orgs = {r.organization_id for r in entities}
    check(bool(own) and len(orgs - {own, None}) >= 1,
          f"the busiest client of the week is called from another org than {own} ({sorted(o or '' for o in orgs)})")
    check(all(r.request_count is not None and r.status200 is None and r.template_uri and r.http_method
              and isinstance(r.date, datetime.date) for r in entities),
          "per-client usage rows carry a date, the endpoint and only the metrics asked")
    query.group_by = ["OauthClientId"]
    try:
        usage.post_usage_client_client_id_aggregates_query_jobs(client_id, query)
        check(False, "a per-client usage job grouped by client is refused")
    except ApiException as e:
        check(e.status == 400 and "bad.request" in (e.body or ""), "a per-client usage job grouped by client is 400 bad.request")


def check_authorizations(api, listing):
    apps = gc.OAuthApi(api).get_oauth_authorizations()
    entities = apps.entities or []
    check(apps.total == len(entities) == 5, f"reads the org's third-party app authorizations ({len(entities)})")
    check(not unknown_enums(apps.to_dict()), "authorizations have no unknown enum value")
    own = {c.id for c in listing.entities}
    check(all(isinstance(a.client, gc.OAuthClient) and a.client.id not in own for a in entities),
          "each authorization embeds a full OAuthClient of another org")
    check(all(a.client.secret is None for a in entities), "no secret in an authorization")
    check(sorted(a.state for a in entities) == ["Authorized", "Authorized", "Authorized", "Requested", "Revoked"],
          "authorized, requested and revoked apps are present")
    check(all(a.pending == (a.state == "Requested") for a in entities), "only the requested app is pending")
    check(all(isinstance(a.date_created, datetime.datetime) and a.created_by and a.created_by.id for a in entities),
          "each says who authorized it and when")
    check(any(a.roles for a in entities) and any(s for a in entities for s in (a.scope or []) if not s.endswith(":readonly")),
          "some apps are broad (a role, or a write scope)")


def check_directory(api, listing):
    org = gc.OrganizationApi(api).get_organizations_me()
    check(bool(org.id) and bool(org.name) and org.state == "active" and bool(org.third_party_org_name), f"reads the organization ({org.name})")
    check(not unknown_enums(org.to_dict()), "the organization has no unknown enum value")
    allowlist = gc.OrganizationApi(api).get_organizations_ipaddressauthentication()
    check(allowlist.network_whitelist == [], "reads the org's IP allowlist: a generated org has none")

    authz = gc.AuthorizationApi(api)
    divisions, page = [], 1
    while True:
        result = authz.get_authorization_divisions(page_size=3, page_number=page, object_count=True)
        check(not unknown_enums(result.to_dict()), f"division page {page} has no unknown enum value")
        divisions += result.entities
        if result.next_uri is None:
            break
        page += 1
    check(page > 1 and len({d.id for d in divisions}) == len(divisions), f"pages divisions ({len(divisions)} in {page} pages)")
    check(sum(1 for d in divisions if d.home_division) == 1, "exactly one home division")
    check(all(isinstance(d.object_counts, dict) and d.object_counts for d in divisions), "divisions carry object counts")
    named = {d.id for d in divisions}
    granted = {rd.division_id for c in listing.entities for rd in (c.role_divisions or [])}
    check(all(rd is not None for rd in granted), "every roleDivisions entry has a divisionId")
    check(granted - {"*"} <= named, "every granted division is listed")
    home = authz.get_authorization_divisions_home()
    check(home.home_division and home.id in named, "reads the home division")

    users = gc.UsersApi(api)
    creators = sorted({c.created_by.id for c in listing.entities if c.created_by})
    found = []
    for i in range(0, len(creators), 100):
        batch = creators[i:i + 100]
        result = users.get_users(id=batch, state="any", page_size=100)
        check(not unknown_enums(result.to_dict()), "user pages have no unknown enum value")
        found += result.entities
    states = {u.state for u in found}
    check(len(found) == len(creators) and {"active", "inactive", "deleted"} <= states,
          f"reads every creator by id with state=any ({len(found)} users, states {sorted(states)})")
    active_only = users.get_users(id=creators[:100], page_size=100)
    check(all(u.state == "active" for u in active_only.entities) and len(active_only.entities) < len(found),
          "the default state hides inactive and deleted users")


def all_results(audit, transaction_id, page_size):
    messages, cursor, pages = [], None, 0
    while True:
        # As scopewatch asks: never a download URL instead of a page.
        kwargs = {"page_size": page_size, "expand": ["user"], "allow_redirect": False}
        if cursor:
            kwargs["cursor"] = cursor
        page = audit.get_audits_query_transaction_id_results(transaction_id, **kwargs)
        check(not unknown_enums(page.to_dict()), f"audit results page {pages + 1} has no unknown enum value")
        messages += page.entities or []
        pages += 1
        cursor = page.cursor
        if not cursor:
            return messages, pages


def audit_interval(days):
    end = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(minutes=5)
    start = end - datetime.timedelta(days=days)
    return f"{start.isoformat().replace('+00:00', 'Z')}/{end.isoformat().replace('+00:00', 'Z')}"


def check_trail(api, listing):
    audit = gc.AuditApi(api)
    mapping = audit.get_audits_query_servicemapping()
    services = {s.name: {e.name for e in s.entities} for s in mapping.services}
    check({"OAuthClient", "Role"} <= services.get("PeoplePermissions", set()), "the service mapping names OAuthClient and Role under PeoplePermissions")
    realtime_mapping = audit.get_audits_query_realtime_servicemapping()
    realtime_services = {s.name: {e.name for e in s.entities} for s in realtime_mapping.services}
    check({"OAuthClient", "Role"} <= realtime_services.get("PeoplePermissions", set()),
          "the realtime service mapping names OAuthClient and Role under PeoplePermissions")
    pairs = lambda m: {(s, e) for s, es in m.items() for e in es}
    check(pairs(realtime_services) < pairs(services),
          f"the realtime mapping is its own, smaller set ({len(pairs(realtime_services))} of {len(pairs(services))} pairs)")

    request = gc.AuditQueryRequest()
    request.interval = audit_interval(365)
    request.service_name = "PeoplePermissions"
    request.filters = [filter_of("EntityType", "OAuthClient")]
    request.sort = [gc.AuditQuerySort()]
    request.sort[0].name = "Timestamp"
    request.sort[0].sort_order = "descending"
    submitted = audit.post_audits_query(request)
    check(submitted.state == "Queued" and bool(submitted.id) and isinstance(submitted.start_date, datetime.datetime), "submits the audit query (Queued)")
    states = []
    for _ in range(10):
        status = audit.get_audits_query_transaction_id(submitted.id)
        check(not unknown_enums(status.to_dict()), "the audit status has no unknown enum value")
        states.append(status.state)
        if status.state == "Succeeded":
            break
    check(states == ["Running", "Running", "Succeeded"], f"the audit query runs then succeeds: {states}")
    messages, pages = all_results(audit, submitted.id, 50)
    check(pages > 1 and len({m.id for m in messages}) == len(messages), f"pages the results by cursor ({len(messages)} messages, {pages} pages)")
    check(all(m.entity_type == "OAuthClient" and isinstance(m.event_date, datetime.datetime) for m in messages), "results carry the entity type and a datetime")
    check(all(m.level == "USER" and m.status == "SUCCESS" for m in messages), "level and status are known values")
    check(any(m.user and m.user.name for m in messages), "expand=user names the users")
    check(any(p.old_values is not None and p.new_values for m in messages for p in (m.property_changes or [])), "messages carry property changes")
    regenerations = {m.action for m in messages if m.action in ("Rotate", "Reset")}
    check(regenerations == {"Rotate", "Reset"},
          f"secret regenerations are OAuthClient messages with action Rotate or Reset (seen: {sorted(regenerations)})")
    shapes = {
        "an entity without a name": any(m.entity and m.entity.id and not m.entity.name for m in messages),
        "an empty client id": any(m.client and m.client.id == "" for m in messages),
        "application": any(m.application for m in messages),
        "initiatingAction": any(m.initiating_action and m.initiating_action.transaction_id for m in messages),
        "transactionInitiator": any(m.transaction_initiator is not None for m in messages),
        "context": any(m.context for m in messages),
        "entityChanges": any(c.entity_id for m in messages for c in (m.entity_changes or [])),
    }
    missing = [k for k, v in shapes.items() if not v]
    check(not missing, f"some messages carry the optional shapes real audits have (missing: {missing})")
    ids = {c.id for c in listing.entities}
    acting = {m.client.id for m in messages if m.client and m.client.id in ids}
    check(len(acting) >= 1, f"some clients of the org changed other clients ({len(acting)})")

    realtime = gc.AuditRealtimeQueryRequest()
    realtime.interval = audit_interval(30)
    realtime.service_name = "PeoplePermissions"
    realtime.page_size = 5
    realtime.page_number = 1
    result = audit.post_audits_query_realtime(realtime, expand=["user"])
    check(not unknown_enums(result.to_dict()), "the realtime results have no unknown enum value")
    oldest = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=14, minutes=1)
    check(result.total > 0 and result.page_count == -(-result.total // 5) and len(result.entities) == min(5, result.total),
          f"the realtime query answers at once, paged ({result.total} messages)")
    check(all(m.event_date >= oldest for m in result.entities), "the realtime query reaches back 14 days only")

    async_only = sorted(set(services) - set(realtime_services))
    check(bool(async_only), f"some services are only in the async mapping ({async_only})")
    outside = gc.AuditRealtimeQueryRequest()
    outside.interval = audit_interval(1)
    outside.service_name = async_only[0]
    try:
        audit.post_audits_query_realtime(outside)
        check(False, "the realtime query refuses a service outside its mapping")
    except ApiException as e:
        body = json.loads(e.body or "{}")
        check(e.status == 400 and body.get("code") == "bad.request" and "serviceName" in body.get("message", ""),
              f"the realtime query refuses {async_only[0]} (outside its mapping) with 400 naming serviceName")

    bad = gc.AuditQueryRequest()
    bad.interval = audit_interval(1)
    bad.service_name = "NoSuchService"
    try:
        audit.post_audits_query(bad)
        check(False, "an unknown service is refused")
    except ApiException as e:
        check(e.status == 400 and "serviceName" in (e.body or ""), "an unknown service is 400 naming serviceName")


def filter_of(prop, value):
    f = gc.AuditQueryFilter()
    f.pcProperty = prop
    f.value = value
    return f


def check_changes(base, auditor_api):
    api = gc.api_client.ApiClient(host=base).get_client_credentials_token(OPERATOR_ID, OPERATOR_SECRET)
    oauth = gc.OAuthApi(api)
    roles = gc.AuthorizationApi(auditor_api).get_authorization_roles(page_size=100, name="Master Admin", user_count=False)
    master = next(r for r in roles.entities if r.name == "Master Admin")
    body = gc.OAuthClientRequest()
    body.name = "SDK-created integration"
    body.authorized_grant_type = "CLIENT-CREDENTIALS"
    grant = gc.RoleDivision()
    grant.role_id = master.id
    grant.division_id = "*"
    body.role_divisions = [grant]
    created = oauth.post_oauth_clients(body)
    check(bool(created.id) and bool(created.secret) and created.state == "active", "creates a client (its secret shown once)")
    check(not unknown_enums(created.to_dict()), "the created client has no unknown enum value")
    listed = gc.OAuthApi(auditor_api).get_oauth_clients()
    check(any(c.id == created.id for c in listed.entities), "the new client is listed at once")
    body.description = "changed by the SDK check"
    body.scope = []
    updated = oauth.put_oauth_client(created.id, body)
    check(updated.description == "changed by the SDK check" and updated.secret is None, "updates the client (no secret)")
    oauth.delete_oauth_client(created.id)
    listed = gc.OAuthApi(auditor_api).get_oauth_clients()
    check(all(c.id != created.id for c in listed.entities), "the deleted client is gone")

    audit = gc.AuditApi(auditor_api)
    realtime = gc.AuditRealtimeQueryRequest()
    realtime.interval = audit_interval(1)
    realtime.service_name = "PeoplePermissions"
    realtime.filters = [filter_of("EntityId", created.id)]
    realtime.sort = [gc.AuditQuerySort()]
    realtime.sort[0].name = "Timestamp"
    realtime.sort[0].sort_order = "ascending"
    events = audit.post_audits_query_realtime(realtime).entities
    check([e.action for e in events] == ["Create", "Update", "Delete"] and all(e.client.id == OPERATOR_ID for e in events),
          f"the trail records the changes with the operator as client: {[e.action for e in events]}")


def check_many_orgs(binary):
    """`sim --orgs 3`: each org's auditor logs in with the SDK from the written orgs file and
    reads its own org, and no other."""
    with tempfile.TemporaryDirectory() as tmp:
        orgs_file = os.path.join(tmp, "orgs.toml")
        proc = subprocess.Popen(
            [binary, "sim", "--listen", "127.0.0.1:0", "--orgs", "3", "--clients", "4", "--roles", "6",
             "--orgs-file-out", orgs_file], stdout=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()
            check("3 orgs of 4 clients" in line, f"sim --orgs starts: {line.strip()}")
            proc.stdout.readline()
            with open(orgs_file) as f:
                text = f.read()
            entries = [dict(re.findall(r'^(\w+) = "([^"]*)"$', block, re.M)) for block in text.split("[[org]]")[1:]]
            check([e["name"] for e in entries] == ["org-0001", "org-0002", "org-0003"], "the orgs file names org-0001..org-0003")
            seen = []
            for entry in entries:
                with open(entry["client_secret_file"]) as f:
                    secret = f.read()
                api = gc.api_client.ApiClient(host=entry["api_base_url"]).get_client_credentials_token(entry["client_id"], secret)
                org = gc.OrganizationApi(api).get_organizations_me()
                clients = gc.OAuthApi(api).get_oauth_clients().entities
                ids = {c.id for c in clients}
                check(entry["client_id"] in ids and len(clients) == 5, f"{entry['name']}: its auditor and 4 clients")
                seen.append((org.id, org.name, frozenset(ids)))
            check(len({s[0] for s in seen}) == 3 and len({s[1] for s in seen}) == 3, "three organizations with their own id and name")
            check(not (seen[0][2] & seen[1][2]) and not (seen[1][2] & seen[2][2]), "no client is in two orgs")
            try:
                gc.api_client.ApiClient(host=entries[0]["api_base_url"]).get_client_credentials_token(entries[0]["client_id"], "wrong")
                check(False, "another secret does not open an org")
            except ApiException as e:
                check(e.status == 401, "a wrong secret is refused with 401 among many orgs")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()

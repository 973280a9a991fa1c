"""Points the official Genesys Cloud Python SDK at `scopewatch sim` and checks that it works
unchanged: login, client listing, role paging, the usage query to Complete, the scope catalog,
and every model parsed without an unknown enum value ("outdated_sdk_version").

Usage: python tests/sdk/check_simulator.py [path/to/scopewatch]
"""

import datetime
import re
import subprocess
import sys
import time

import PureCloudPlatformClientV2 as gc
from PureCloudPlatformClientV2.rest import ApiException

CLIENT_ID = "sdk-check-client"
SECRET = "sdk-check-secret-value"
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
         "--seed", "5", "--client-id", CLIENT_ID, "--client-secret", SECRET, "--usage-running-polls", "2"],
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
    check(len(listing.entities) == CLIENTS + 1, f"lists all {CLIENTS + 1} clients in one page")
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
    check(len(roles) == ROLES + 1 and page == pages == 6, f"pages roles to the last page ({len(roles)} roles, {page} of {pages} pages)")
    check(len({r.id for r in roles}) == len(roles), "role pages do not overlap")
    check(any("admin" in (r.permissions or []) for r in roles), "a Master Admin role with the admin permission exists")

    usage = gc.UsageApi(api)
    end = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    start = end - datetime.timedelta(days=90)
    query = gc.ApiUsageOrganizationQuery()
    query.interval = f"{start.isoformat().replace('+00:00', 'Z')}/{end.isoformat().replace('+00:00', 'Z')}"
    query.granularity = "Day"
    query.group_by = ["OAuthClientId", "TemplateUri", "HttpMethod"]
    query.metrics = ["Requests"]
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
    by_endpoint = [r for r in result.results if r.template_uri and r.http_method]
    check(len(by_endpoint) > 0 and all(not r.template_uri.startswith("/") and r.http_method.isupper() for r in by_endpoint),
          f"usage rows grouped by endpoint carry templateUri (no leading slash) and httpMethod ({len(by_endpoint)} rows)")
    check(any(r.status200 == 0 and r.status400 == r.requests for r in by_endpoint), "some endpoint rows are refused calls (all 4xx)")

    scopes = oauth.get_oauth_scopes()
    check(scopes.total == len(scopes.entities) > 50 and any(s.id == "users:readonly" for s in scopes.entities), "reads the scope catalog")


if __name__ == "__main__":
    main()

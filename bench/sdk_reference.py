"""The seed tutorial's audit ("How to List All OAuth Clients and Audit Their Scope Assignments"),
done with the official Genesys Cloud Python SDK (`purecloudplatformclientv2`): log in with client
credentials, list every OAuth client, flag the high-risk scopes, write the JSON report. It is the
reference `scopewatch audit` is measured against (bench/harness.py).

Where the tutorial calls something the real SDK does not have, this script does what the real SDK
allows: `get_oauth_clients()` takes no page size, `expand` or cursor (the API answers one page;
a `nextUri` is still followed), a client's scopes are `scope`, and there is no `public` flag
(the listing does not say; it is reported as false, so no public-write risk is counted).

Usage: python bench/sdk_reference.py BASE_URL OUTPUT.json
(credentials from GENESYS_OAUTH_CLIENT_ID / GENESYS_OAUTH_CLIENT_SECRET)
"""

import json
import os
import sys
from urllib.parse import parse_qs, urlparse

import PureCloudPlatformClientV2 as gc

HIGH_RISK_SCOPES = ["admin:*", "api:*", "user:*", "user:write", "organization:write"]


def list_all_oauth_clients(api):
    oauth = gc.OAuthApi(api)
    response = oauth.get_oauth_clients()
    clients = list(response.entities or [])
    pages = 1
    while response.next_uri and pages < 1000:
        # The SDK method has no paging arguments: follow nextUri through the same client.
        query = parse_qs(urlparse(response.next_uri).query)
        response = api.call_api(
            "/api/v2/oauth/clients", "GET", query_params=list(query.items()),
            header_params={"Accept": "application/json"}, response_type="OAuthClientEntityListing",
            auth_settings=["PureCloud OAuth"])
        clients += response.entities or []
        pages += 1
    return clients


def analyze_client_scopes(clients):
    results = []
    for client in clients:
        scopes = client.scope or []
        flagged = [
            scope for scope in scopes for risk in HIGH_RISK_SCOPES
            if scope == risk or (risk.endswith("*") and scope.startswith(risk[:-1]))
        ]
        results.append({
            "client_id": client.id,
            "client_name": client.name,
            "client_type": client.authorized_grant_type,
            "is_public": False,
            "total_scopes": len(scopes),
            "flagged_scopes": flagged,
            "risk_level": "HIGH" if flagged else "LOW",
        })
    return results


def generate_audit_report(results, output_file):
    high = [r for r in results if r["risk_level"] == "HIGH"]
    public_write = [r for r in results if r["is_public"] and any("write" in s for s in r["flagged_scopes"])]
    report = {
        "total_clients": len(results),
        "high_risk_count": len(high),
        "public_write_risks_count": len(public_write),
        "high_risk_details": high,
        "public_write_risk_details": public_write,
        "all_clients": results,
    }
    with open(output_file, "w") as f:
        json.dump(report, f, indent=2)
    print(f"audited {len(results)} clients, {len(high)} high risk")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: sdk_reference.py BASE_URL OUTPUT.json")
    base, output = sys.argv[1], sys.argv[2]
    client_id = os.environ.get("GENESYS_OAUTH_CLIENT_ID")
    secret = os.environ.get("GENESYS_OAUTH_CLIENT_SECRET")
    if not client_id or not secret:
        sys.exit("GENESYS_OAUTH_CLIENT_ID and GENESYS_OAUTH_CLIENT_SECRET must be set")
    api = gc.api_client.ApiClient(host=base).get_client_credentials_token(client_id, secret)
    generate_audit_report(analyze_client_scopes(list_all_oauth_clients(api)), output)


if __name__ == "__main__":
    main()

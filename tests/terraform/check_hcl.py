"""Runs `scopewatch audit --format terraform` against the simulator, parses the output as HCL
(python-hcl2) and checks the provider's required attributes: every `genesyscloud_auth_role` has a
name and permission policies with domain, entity_name and action_set; every
`genesyscloud_oauth_client` has name, authorized_grant_type and access_token_validity_seconds.
Strings must hold no live template (`${` only as the role reference). Also checks that broken
snippets fail, so the check can fail.

Usage: python tests/terraform/check_hcl.py path/to/scopewatch
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from audit_output import audit_output  # noqa: E402

import hcl2

GRANTS = {"CODE", "TOKEN", "SAML2BEARER", "SAML2-BEARER", "PASSWORD", "CLIENT-CREDENTIALS"}
IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
ROLE_REF = re.compile(r"^\$\{genesyscloud_auth_role\.([a-z][a-z0-9_]*)\.id\}$")
# python-hcl2 keeps a string's escapes as written: `$${` is an escaped `${`, a lone `${` is live.
LIVE_TEMPLATE = re.compile(r"(?<![$%])[$%]\{")


def strings(value):
    """Every string in a parsed value, with nested lists and blocks."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)


def problems(text):
    """What is wrong with a terraform document, and how many roles and clients it has."""
    try:
        doc = hcl2.loads(text)
    except Exception as e:  # the parser raises lark's exceptions, of several kinds
        return [f"not HCL: {type(e).__name__}: {str(e)[:300]}"], 0, 0
    found = []
    roles, clients = {}, {}
    for block in doc.get("resource", []):
        for kind, by_name in block.items():
            for name, body in by_name.items():
                if not IDENT.match(name):
                    found.append(f"{kind}.{name}: not a [a-z][a-z0-9_]* name")
                if kind == "genesyscloud_auth_role":
                    roles[name] = body
                elif kind == "genesyscloud_oauth_client":
                    clients[name] = body
                else:
                    found.append(f"unexpected resource type {kind}")
    for name, role in roles.items():
        where = f"genesyscloud_auth_role.{name}"
        if not isinstance(role.get("name"), str) or not role["name"]:
            found.append(f"{where}: no name")
        policies = role.get("permission_policies", [])
        if not policies and not role.get("permissions"):
            found.append(f"{where}: neither permission_policies nor permissions")
        for p in policies:
            for attr in ("domain", "entity_name"):
                if not isinstance(p.get(attr), str) or not p[attr]:
                    found.append(f"{where}: a policy without {attr}")
            actions = p.get("action_set")
            if not isinstance(actions, list) or not actions or not all(isinstance(a, str) for a in actions):
                found.append(f"{where}: a policy without a list action_set")
        for s in strings(role):
            if LIVE_TEMPLATE.search(s):
                found.append(f"{where}: a live template in {s[:80]!r}")
    for name, client in clients.items():
        where = f"genesyscloud_oauth_client.{name}"
        if not isinstance(client.get("name"), str) or not client["name"]:
            found.append(f"{where}: no name")
        if client.get("authorized_grant_type") not in GRANTS:
            found.append(f"{where}: authorized_grant_type {client.get('authorized_grant_type')!r}")
        validity = client.get("access_token_validity_seconds")
        if not isinstance(validity, int) or not 300 <= validity <= 38_880_000:
            found.append(f"{where}: access_token_validity_seconds {validity!r}")
        for grant in client.get("roles", []):
            ref = ROLE_REF.match(str(grant.get("role_id", "")))
            if not ref or ref.group(1) not in roles:
                found.append(f"{where}: role_id {grant.get('role_id')!r} names no role of the document")
        rest = {k: v for k, v in client.items() if k != "roles"}
        rest["division_ids"] = [g.get("division_id") for g in client.get("roles", [])]
        for s in strings(rest):
            if LIVE_TEMPLATE.search(s):
                found.append(f"{where}: a live template in {s[:80]!r}")
    return found, len(roles), len(clients)


def main():
    binary = sys.argv[1]
    text = audit_output(binary, "terraform", "terraform")
    found, roles, clients = problems(text)
    for p in found[:20]:
        print(f"FAIL {p}")
    if found or not roles or not clients:
        sys.exit(f"terraform output invalid ({len(found)} problems, {roles} roles, {clients} clients)")

    # The check must be able to fail: each of these breaks one promise.
    broken = {
        "a policy without action_set": re.sub(r"\n\s*action_set\s*=.*", "", text, count=1),
        "a live interpolation in a name": re.sub(r'(\n\s*name\s*= ")', r"\1${var.x}", text, count=1),
        "a client without authorized_grant_type": re.sub(r"\n\s*authorized_grant_type\s*=.*", "", text, count=1),
        "an unclosed block": text.rstrip().rstrip("}"),
    }
    for what, doc in broken.items():
        if doc == text:
            sys.exit(f"could not build the broken case '{what}'")
        if not problems(doc)[0]:
            sys.exit(f"the check accepted {what}: it cannot fail")
    print(f"ok   terraform output is HCL with the provider's required attributes: {roles} roles, {clients} clients")


if __name__ == "__main__":
    main()

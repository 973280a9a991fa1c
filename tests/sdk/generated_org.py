"""One generated Genesys Cloud organization: every answer scopewatch reads, built from the SDK's
models by `model_variants.Maker`, with the ids that link them (roles, divisions, users, clients)
drawn from the org's own pools, and every answer read back by the SDK before it is served.
"""

import datetime
import random

from model_variants import Maker, sdk_reads

ROLE_PAGE = 10
DIVISION_PAGE = 3
TRAIL_PAGE = 7
USAGE_PAGE = 9
# How listings say there is another page: numbers and links, links only, numbers only.
PAGING_STYLES = ["numbers", "links", "numbers-only"]

SCOPE_NAMES = ["users:readonly", "users", "oauth", "oauth:readonly", "authorization", "routing",
               "analytics:readonly", "conversations", "admin", "integrations"]
PERMISSIONS = ["admin", "oauth:client:add", "oauth:client:view", "authorization:role:edit",
               "directory:user:view", "routing:queue:view", "usage:organization:view"]
TEMPLATES = [("GET", "api/v2/users/{userId}"), ("POST", "api/v2/oauth/clients"),
             ("GET", "api/v2/routing/queues"), ("PUT", "api/v2/authorization/roles/{roleId}"),
             ("DELETE", "api/v2/users/{userId}"), ("PATCH", "api/v2/users/{userId}")]
TRAIL_TYPES = ["OAuthClient", "Role"]
PROPERTIES = ["roleDivisions", "scope", "state", "name", "secret", "permissionPolicies"]


def relink(record, path, choose):
    """Replaces every string at `path` (keys, through lists) that the record carries."""
    if isinstance(record, list):
        for item in record:
            relink(item, path, choose)
        return
    if not isinstance(record, dict) or path[0] not in record:
        return
    if len(path) > 1:
        relink(record[path[0]], path[1:], choose)
    elif isinstance(record[path[0]], str):
        record[path[0]] = choose()
    elif isinstance(record[path[0]], list):
        record[path[0]] = [choose() if isinstance(v, str) else v for v in record[path[0]]]


class Org:
    """Every answer of one org. `plans` are the one-field-at-a-time plans per model given to
    this org; each model also gets records with every field present and random mixes."""

    def __init__(self, number, seed, plans, now):
        self.number = number
        self.rng = random.Random(seed)
        self.mk = Maker(self.rng, now)
        self.now = now
        self.answers = 0
        self.records = 0
        # One-field plans built into a served record (a single record takes several at once).
        self.variants = 0
        # Every third org answers the usage jobs API 404, as where it is not available: the
        # older usage query is then the one read.
        self.jobs_available = number % 3 != 2
        self.style = PAGING_STYLES[number % len(PAGING_STYLES)]
        self.role_ids = [self.mk.uuid() for _ in range(14)]
        self.division_ids = [self.mk.uuid() for _ in range(5)]
        self.user_ids = [self.mk.uuid() for _ in range(9)]
        self.build_directory(plans)
        self.clients = self.records_of("OAuthClient", plans, 4, 6, self.link_client, keep=[("id",)])
        self.client_ids = [c["id"] for c in self.clients if isinstance(c.get("id"), str)]
        self.clients_page = self.envelope("OAuthClientEntityListing", self.clients, 1, 1, "/api/v2/oauth/clients?")
        self.build_authorizations(plans)
        self.build_trail(plans)
        self.build_usage(plans)
        self.token = self.token_answer()
        # Where the usage jobs API is not available: a 404 `ErrorBody` built from its model.
        missing = self.mk.record("ErrorBody", None, "random")
        missing.update(status=404, code="not.found")
        self.jobs_missing = (404, self.served(missing, "ErrorBody"))

    # Records and envelopes

    def records_of(self, model, plans, full, random_mix, link, keep=()):
        out = []
        for plan in plans.get(model, []):
            out.append(self.mk.record(model, plan, "full", keep))
        self.variants += len(plans.get(model, []))
        out += [self.mk.record(model, None, "full", keep) for _ in range(full)]
        out += [self.mk.record(model, None, "random", keep) for _ in range(random_mix)]
        for record in out:
            link(record)
        self.records += len(out)
        return out

    def merged(self, plans):
        """The plans of a model read once per audit, as one plan: each changes another field
        (a plan whose field is already changed is left out)."""
        plan = {}
        for one in plans:
            if not set(one) & set(plan):
                plan.update(one)
                self.variants += 1
        return plan

    def served(self, body, model):
        """Counts an answer after the SDK has read it (a generator bug fails here, loudly)."""
        sdk_reads(body, model)
        self.answers += 1
        return body

    def envelope(self, model, items, number, count, uri, style=None):
        """A page of a listing, its paging fields consistent with the org's paging style."""
        body = self.mk.record(model, {("entities",): "absent"}, "random")
        for key in ("pageNumber", "pageCount", "nextUri", "total", "pageSize"):
            body.pop(key, None)
        style = style or self.style
        if style in ("numbers", "numbers-only"):
            body.update(pageNumber=number, pageCount=count, pageSize=len(items or []))
        if style in ("numbers", "links") and number < count:
            body["nextUri"] = f"{uri}pageNumber={number + 1}"
        elif self.rng.random() < 0.3:
            body["nextUri"] = None
        body["entities"] = items
        return self.served(body, model)

    def chunks(self, items, size):
        """Pages of records; in every other org a last page of none, its `entities` null (the
        SDK models allow it: every field of a listing is optional)."""
        chunks = [items[i:i + size] for i in range(0, len(items), size)] or [[]]
        return chunks + [None] if self.number % 2 == 1 else chunks

    def pages(self, model, items, size, uri):
        chunks = self.chunks(items, size)
        return [self.envelope(model, chunk, n + 1, len(chunks), uri) for n, chunk in enumerate(chunks)]

    # The directory: roles, divisions, users, scopes, the organization

    def build_directory(self, plans):
        ids = iter(self.role_ids)
        roles = self.records_of("DomainOrganizationRole", plans, 3, 5, lambda r: self.link_role(r, ids), keep=[("id",)])
        self.role_pages = self.pages("OrganizationRoleEntityListing", roles, ROLE_PAGE,
                                     "/api/v2/authorization/roles?pageSize=100&userCount=false&")
        ids = iter(self.division_ids)
        divisions = self.records_of("AuthzDivision", plans, 2, 2, lambda d: relink(d, ("id",), lambda: next(ids, self.mk.uuid())),
                                    keep=[("id",)])
        self.division_pages = self.pages("AuthzDivisionEntityListing", divisions, DIVISION_PAGE,
                                         "/api/v2/authorization/divisions?pageSize=100&objectCount=true&")
        ids = iter(self.user_ids)
        users = self.records_of("User", plans, 2, 3, lambda u: relink(u, ("id",), lambda: next(ids, self.mk.uuid())), keep=[("id",)])
        self.users = {u["id"]: u for u in users if isinstance(u.get("id"), str)}
        self.users_envelope = self.envelope("UserEntityListing", users, 1, 1, "/api/v2/users?", "numbers")
        scopes = self.records_of("OAuthScope", plans, 3, 3, lambda s: relink(s, ("id",), lambda: self.rng.choice(SCOPE_NAMES)))
        body = self.mk.record("OAuthScopeListing", {("entities",): "absent"}, "random")
        body["entities"] = scopes
        self.scopes = self.served(body, "OAuthScopeListing")
        plan = self.merged(plans.get("Organization", []))
        self.organization = self.served(self.mk.record("Organization", plan, "full"), "Organization")
        plan = self.merged(plans.get("IpAddressAuthentication", []))
        self.ip_allowlist = self.served(self.mk.record("IpAddressAuthentication", plan, "random"), "IpAddressAuthentication")

    def build_authorizations(self, plans):
        """The third-party apps: `OAuthAuthorization` records (their clients another org's), their
        roles the org's, who authorized them one of its users; one listing, not paged."""
        def link(app):
            relink(app, ("roles",), lambda: self.rng.choice(self.role_ids))
            relink(app, ("createdBy", "id"), lambda: self.rng.choice(self.user_ids))
            relink(app, ("scope",), lambda: self.rng.choice(SCOPE_NAMES))
        apps = self.records_of("OAuthAuthorization", plans, 2, 3, link)
        body = self.mk.record("OAuthAuthorizationListing", {("entities",): "absent"}, "random")
        body["entities"] = apps
        self.authorizations = self.served(body, "OAuthAuthorizationListing")

    def link_role(self, role, ids):
        relink(role, ("id",), lambda: next(ids, self.mk.uuid()))
        relink(role, ("permissions",), lambda: self.rng.choice(PERMISSIONS))
        relink(role, ("permissionPolicies", "domain"), lambda: self.rng.choice(["oauth", "authorization", "directory", "*"]))
        relink(role, ("permissionPolicies", "entityName"), lambda: self.rng.choice(["client", "role", "user", "*"]))
        relink(role, ("permissionPolicies", "actionSet"), lambda: self.rng.choice(["view", "add", "edit", "*"]))

    def link_client(self, client):
        relink(client, ("roleDivisions", "roleId"), lambda: self.rng.choice(self.role_ids + ["unknown-role"]))
        relink(client, ("roleDivisions", "divisionId"), lambda: self.rng.choice(self.division_ids + ["*"]))
        relink(client, ("roleIds",), lambda: self.rng.choice(self.role_ids))
        relink(client, ("createdBy", "id"), lambda: self.rng.choice(self.user_ids + [self.mk.uuid()]))
        relink(client, ("modifiedBy", "id"), lambda: self.rng.choice(self.user_ids))
        relink(client, ("scope",), lambda: self.rng.choice(SCOPE_NAMES + ["no:such:scope"]))
        relink(client, ("registeredRedirectUri",), lambda: self.rng.choice(["https://app.example.com/cb", "http://localhost/cb"]))

    def users_page(self, ids):
        body = dict(self.users_envelope)
        body["entities"] = [self.users[i] for i in ids if i in self.users]
        body["total"] = len(body["entities"])
        return body

    # The audit trail

    def build_trail(self, plans):
        mapping = self.mk.record("AuditQueryServiceMapping", self.merged(plans.get("AuditQueryServiceMapping", [])), "random")
        services = mapping.get("services") if isinstance(mapping.get("services"), list) else []
        services.append({"name": "PeoplePermissions", "entities": [
            {"name": kind, "actions": ["Create", "Update", "Delete"]} for kind in TRAIL_TYPES]})
        mapping["services"] = services
        self.mapping = self.served(mapping, "AuditQueryServiceMapping")
        messages = self.records_of("AuditLogMessage", plans, 4, 8, self.link_message)
        # A message of another entity type, or of none (the SDK allows it), is served with the
        # OAuth clients' messages.
        self.messages = {kind: [m for m in messages if (m.get("entityType") if m.get("entityType") in TRAIL_TYPES
                                                       else "OAuthClient") == kind] for kind in TRAIL_TYPES}
        self.trail_pages = {}
        for kind, found in self.messages.items():
            chunks = self.chunks(found, TRAIL_PAGE)
            pages = []
            for n, chunk in enumerate(chunks):
                body = self.mk.record("AuditQueryExecutionResultsResponse", {("entities",): "absent", ("cursor",): "absent"}, "random")
                if n + 1 < len(chunks):
                    body["cursor"] = f"c{n + 1}"
                elif self.rng.random() < 0.3:
                    body["cursor"] = None
                body["entities"] = chunk
                pages.append(self.served(body, "AuditQueryExecutionResultsResponse"))
            self.trail_pages[kind] = pages
        self.trail_statuses = [self.trail_status(s) for s in ("Queued", "Running", "Succeeded")]
        # The change poller's realtime query: one page, null entities in every other org.
        found = self.messages["OAuthClient"]
        body = self.mk.record("AuditRealtimeQueryResultsResponse", {("entities",): "absent"}, "random")
        for key in ("pageNumber", "pageCount", "total", "pageSize"):
            body.pop(key, None)
        body.update(pageNumber=1, pageCount=1, total=len(found), pageSize=100)
        body["entities"] = found if self.number % 2 == 0 else None
        self.realtime_page = self.served(body, "AuditRealtimeQueryResultsResponse")

    def trail_status(self, state):
        body = self.mk.record("AuditQueryExecutionStatusResponse", None, "random", keep=[("id",), ("state",)])
        body["state"] = state
        return self.served(body, "AuditQueryExecutionStatusResponse")

    def link_message(self, message):
        relink(message, ("entityType",), lambda: self.rng.choice(TRAIL_TYPES) if self.rng.random() < 0.9 else "AccessToken")
        when = self.now - datetime.timedelta(seconds=self.rng.randint(60, 80 * 86400))
        relink(message, ("eventDate",), lambda: self.mk.timestamp(when))
        relink(message, ("client", "id"), lambda: self.rng.choice(self.client_ids or [self.mk.uuid()]))
        relink(message, ("user", "id"), lambda: self.rng.choice(self.user_ids))
        relink(message, ("entity", "id"), lambda: self.rng.choice(self.client_ids + self.role_ids or [self.mk.uuid()]))
        relink(message, ("serviceName",), lambda: "PeoplePermissions")
        relink(message, ("propertyChanges", "property"), lambda: self.rng.choice(PROPERTIES))

    # Usage: the jobs API and the older query

    def build_usage(self, plans):
        def link_row(row, client_key):
            method, template = self.rng.choice(TEMPLATES)
            relink(row, client_key, lambda: self.rng.choice(self.client_ids + [self.mk.uuid()]))
            relink(row, ("templateUri",), lambda: template)
            relink(row, ("httpMethod",), lambda: method)
            day = self.now - datetime.timedelta(days=self.rng.randint(1, 80))
            relink(row, ("date",), lambda: day.strftime("%Y-%m-%dT00:00:00Z"))

        rows = self.records_of("ApiUsageRow", plans, 4, 6, lambda r: link_row(r, ("clientId",)))
        execution = self.mk.uuid()
        self.usage_submitted = self.served({"executionId": execution, "resultsUri": f"/api/v2/usage/query/{execution}/results"},
                                           "UsageExecutionResult")
        self.usage_results = [self.served({"queryStatus": "Running"}, "ApiUsageQueryResult")]
        done = self.mk.record("ApiUsageQueryResult", {("results",): "absent", ("queryStatus",): "absent"}, "random")
        done.update(queryStatus="Complete", results=rows)
        self.usage_results.append(self.served(done, "ApiUsageQueryResult"))

        def link_job_row(row):
            link_row(row, ("oauthClient", "id"))
            relink(row, ("date",), lambda: (self.now - datetime.timedelta(days=self.rng.randint(1, 80))).strftime("%Y-%m-%d"))

        job_rows = self.records_of("OrganizationPublicApiUsage", plans, 4, 6, link_job_row)
        submitted = self.mk.record("OrganizationUsageQueryResponse", None, "random")
        self.job_id = submitted["id"] = self.mk.uuid()
        relink(submitted, ("resultsUri",), lambda: f"/api/v2/usage/aggregates/query/jobs/{self.job_id}")
        self.job_submitted = self.served(submitted, "OrganizationUsageQueryResponse")
        self.job_pages = []
        chunks = self.chunks(job_rows, USAGE_PAGE)
        for n, chunk in enumerate(chunks):
            body = self.mk.record("OrganizationPublicApiUsageResultsResponse",
                                  {("entities",): "absent", ("nextUri",): "absent", ("errorBody",): "absent"}, "random")
            body.update(queryStatus="Succeeded", entities=chunk)
            if n + 1 < len(chunks):
                body["nextUri"] = f"/api/v2/usage/aggregates/query/jobs/{self.job_id}?pageSize={USAGE_PAGE}&after=p{n + 1}"
            self.job_pages.append(self.served(body, "OrganizationPublicApiUsageResultsResponse"))
        self.job_running = self.served({"queryStatus": "Running"}, "OrganizationPublicApiUsageResultsResponse")

    def token_answer(self):
        body = {"access_token": f"conformance-token-{self.number}", "token_type": "bearer", "expires_in": 86400}
        roll = self.number % 4
        if roll == 1:
            body.pop("token_type")
        elif roll == 2:
            body.update(scope="", refresh_token=None, unknown={"x": 1})
        elif roll == 3:
            body["expires_in"] = 3600
        self.answers += 1
        return body

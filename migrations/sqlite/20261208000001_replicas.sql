-- SQLite serves one process: there are no replicas to divide the orgs between, so no
-- `replicas` table (PostgreSQL has one). The safety-net refresh reads the newest audit of
-- every org in one query.
CREATE INDEX audits_by_org_finish ON audits (org, finished_at_ms DESC, audit_id DESC);

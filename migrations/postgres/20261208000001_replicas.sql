-- Replicas sharing one PostgreSQL divide the orgs (issue 24): each records a heartbeat here
-- (the database's clock, so the replicas' clocks need not agree); the live ones are those seen
-- within the TTL, and each org goes to one of them by rendezvous hashing.
CREATE TABLE replicas (
    id TEXT PRIMARY KEY,
    last_seen_ms BIGINT NOT NULL
);
-- The safety-net refresh reads the newest audit of every org in one query.
CREATE INDEX audits_by_org_finish ON audits (org, finished_at_ms DESC, audit_id DESC);

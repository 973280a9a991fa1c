-- Several organizations in one database (issue 14): every audit belongs to an org, named by its
-- configured slug. Audits stored before this migration were the single org's, now `default`
-- (the name the single-org variables keep). Queries filter on the org first.
ALTER TABLE audits ADD COLUMN org TEXT NOT NULL DEFAULT 'default';
CREATE INDEX audits_by_org_start ON audits (org, started_at_ms DESC);
CREATE INDEX audits_by_org_success ON audits (org, outcome, finished_at_ms DESC);

-- The live permission catalog per org (each org's API host describes its API). The single-org
-- table's row becomes the `default` org's; that table is left in place, unused, so a replica
-- still running the previous version during a rolling upgrade keeps working.
CREATE TABLE org_permission_catalog (
    org           TEXT PRIMARY KEY,
    fetched_at_ms BIGINT NOT NULL,
    body          TEXT NOT NULL
);
INSERT INTO org_permission_catalog (org, fetched_at_ms, body)
    SELECT 'default', fetched_at_ms, body FROM permission_catalog;

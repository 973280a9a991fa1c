-- Every finished audit: outcome, timings, counts and (for a success) the full report as JSON.
-- Audits are written once, when they end, so a process that dies mid-audit leaves nothing behind.
CREATE TABLE audits (
    audit_id          TEXT PRIMARY KEY,
    started_at_ms     BIGINT NOT NULL,
    finished_at_ms    BIGINT NOT NULL,
    outcome           TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    error             TEXT,
    total_clients     BIGINT,
    high_risk_count   BIGINT,
    findings          BIGINT,
    new_findings      BIGINT,
    resolved_findings BIGINT,
    policy_sha256     TEXT,
    report            TEXT
);

CREATE INDEX audits_by_start ON audits (started_at_ms DESC);
CREATE INDEX audits_success_by_finish ON audits (outcome, finished_at_ms DESC);

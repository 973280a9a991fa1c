-- Several replicas share one database (issue 24): every audit records the replica that ran it
-- (`SCOPEWATCH_REPLICA_ID`, by default the host name). Audits stored before keep NULL: which
-- replica ran them is not known.
ALTER TABLE audits ADD COLUMN replica TEXT;

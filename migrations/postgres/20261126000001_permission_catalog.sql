-- The live permission catalog read from the org's API description, as its parsed operations in
-- compact JSON (never the raw description): one row, kept so a restart does not read the
-- tens-of-MB description again within the day.
CREATE TABLE permission_catalog (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    fetched_at_ms BIGINT NOT NULL,
    body          TEXT NOT NULL
);

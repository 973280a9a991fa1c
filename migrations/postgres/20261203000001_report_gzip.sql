-- Reports are stored gzip-compressed (issue 10): the bytes `serve` already sends, a tenth of the
-- JSON's size, and written without the database's copies of tens of MB of text. Audits stored
-- before keep their JSON in `report`; a new audit fills `report_gzip` and leaves `report` NULL.
ALTER TABLE audits ADD COLUMN report_gzip BYTEA;

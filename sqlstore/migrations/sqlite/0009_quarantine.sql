-- Alerts a polled feed carried that were refused (a rule or a limit of
-- CAP broken), kept with the reasons until an administrator accepts one
-- with an area drawn by hand or dismisses it. The document is kept as
-- received, as bytes: it may be in a legacy encoding, or not XML at all.
-- One row per document (sha256 of the whole document), so polling a feed
-- again stores nothing new. region_code is the scope (the feed creator's
-- region when the row was written); state moves from open once, by
-- compare-and-set.
CREATE TABLE quarantined_alerts (
    id              INTEGER PRIMARY KEY,
    feed_id         INTEGER NOT NULL REFERENCES feeds (id),
    entry_id        TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    received_at     TIMESTAMP NOT NULL,
    sender          TEXT NOT NULL DEFAULT '',
    identifier      TEXT NOT NULL DEFAULT '',
    sent            TEXT NOT NULL DEFAULT '',
    size            INTEGER NOT NULL,
    sha256          TEXT NOT NULL UNIQUE,
    document        BLOB NOT NULL,
    truncated       INTEGER NOT NULL DEFAULT 0,
    code            TEXT NOT NULL,
    message         TEXT NOT NULL,
    message_zh      TEXT NOT NULL DEFAULT '',
    problems        TEXT NOT NULL,
    region_code     TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'accepted', 'dismissed')),
    resolved_at     TIMESTAMP,
    resolved_by     TEXT NOT NULL DEFAULT '',
    resolution_note TEXT NOT NULL DEFAULT '',
    warning_id      INTEGER REFERENCES warnings (id)
);
CREATE INDEX quarantined_alerts_received ON quarantined_alerts (received_at, id);
CREATE INDEX quarantined_alerts_region ON quarantined_alerts (region_code);

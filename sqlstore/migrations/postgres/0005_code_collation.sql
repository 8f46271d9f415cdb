-- Codes, numbers and phone numbers are strings of digits, whose order is
-- their byte order. Under the database's default collation (a libc locale
-- such as C.UTF-8 or en_US.UTF-8; PostgreSQL treats only "C" and "POSIX"
-- as bytewise) every b-tree comparison of them goes through strcoll and
-- sorts lose abbreviated keys. The indexed ones written in bulk (roster
-- imports, exposure snapshots, release tasks) compare with memcmp from
-- here on. Text people read (names, addresses) keeps the default.
-- SQLite compares text bytewise already (BINARY), so it has no such step.
ALTER TABLE regions ALTER COLUMN code TYPE TEXT COLLATE "C", ALTER COLUMN parent_code TYPE TEXT COLLATE "C";
ALTER TABLE households ALTER COLUMN number TYPE TEXT COLLATE "C", ALTER COLUMN village_code TYPE TEXT COLLATE "C";
ALTER TABLE members ALTER COLUMN number TYPE TEXT COLLATE "C", ALTER COLUMN id_number TYPE TEXT COLLATE "C";
ALTER TABLE exposure_households ALTER COLUMN village_code TYPE TEXT COLLATE "C";
ALTER TABLE confirmation_tasks ALTER COLUMN village_code TYPE TEXT COLLATE "C", ALTER COLUMN assignee_phone TYPE TEXT COLLATE "C";
ALTER TABLE confirmation_links ALTER COLUMN assignee_phone TYPE TEXT COLLATE "C";

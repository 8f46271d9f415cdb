-- A member's descriptive fields, which are shown and exported but never
-- searched or counted by the database (民族, 文化程度, 在校生状况, 健康状况,
-- 劳动技能, 务工时间, 是否参加大病保险, 致贫原因, 首次识别时间, 人员识别时间),
-- move into one column: a JSON array of strings in that order ("" for
-- unknown; months as digits; insured "1"/"0"). A member row had 23
-- columns and is written by the million on an import; each column is an
-- argument to bind and a field to encode, and that was most of the
-- import's time. What queries use (number, name, ID number, relation,
-- phone, birth date, disability) stays in columns.
CREATE TABLE members_new (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    number       TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    id_number    TEXT NOT NULL,
    relation     TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    birth_date   TEXT NOT NULL DEFAULT '',
    disabled     INTEGER NOT NULL DEFAULT 0,
    details      TEXT NOT NULL DEFAULT '',
    row_hash     INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
INSERT INTO members_new (id, household_id, number, name, id_number, relation, phone, birth_date, disabled, details, row_hash, version, created_at, updated_at)
SELECT id, household_id, number, name, id_number, relation, phone, birth_date, disabled,
       json_array(ethnicity, education, school_status, health, labour, COALESCE(CAST(migrant_months AS TEXT), ''),
                  CASE illness_insured WHEN 1 THEN '1' WHEN 0 THEN '0' ELSE '' END, poverty_cause, first_identified_on, identified_on),
       row_hash, version, created_at, updated_at
FROM members;
DROP TABLE members;
ALTER TABLE members_new RENAME TO members;
CREATE INDEX members_household ON members (household_id);
CREATE INDEX members_id_number ON members (id_number);

-- A member's descriptive fields, which are shown and exported but never
-- searched or counted by the database (民族, 文化程度, 在校生状况, 健康状况,
-- 劳动技能, 务工时间, 是否参加大病保险, 致贫原因, 首次识别时间, 人员识别时间),
-- move into one column: a JSON array of strings in that order ("" for
-- unknown; months as digits; insured "1"/"0"). A member row had 23
-- columns and is written by the million on an import; each column is a
-- field to encode, send and decode. What queries use (number, name, ID
-- number, relation, phone, birth date, disability) stays in columns.
ALTER TABLE members ADD COLUMN details TEXT NOT NULL DEFAULT '';
UPDATE members SET details = json_build_array(ethnicity, education, school_status, health, labour, COALESCE(migrant_months::text, ''),
    CASE WHEN illness_insured THEN '1' WHEN NOT illness_insured THEN '0' ELSE '' END, poverty_cause, first_identified_on, identified_on)::text;
ALTER TABLE members DROP COLUMN ethnicity, DROP COLUMN education, DROP COLUMN school_status, DROP COLUMN health, DROP COLUMN labour,
    DROP COLUMN migrant_months, DROP COLUMN illness_insured, DROP COLUMN poverty_cause, DROP COLUMN first_identified_on, DROP COLUMN identified_on;

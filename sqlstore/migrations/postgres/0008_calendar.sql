-- China's working-day calendar: the holidays and make-up working days
-- (调休) of the State Council's yearly notices. Every deadline is counted
-- in working days on it (package workday). A year listed in
-- calendar_years is loaded: its working days are counted exactly; in any
-- other year they are counted Monday to Friday and marked provisional.
--
-- Days are civil dates, TEXT 'YYYY-MM-DD' (no time of day, no zone; the
-- text sorts in date order), as policies' effective dates are. year is
-- the year whose notice lists the day: 2022-12-31, the first day of the
-- 2023 New Year holiday, belongs to 2023. Importing a year replaces
-- exactly the days whose year it is.

CREATE TABLE calendar_years (
    year      INTEGER PRIMARY KEY,
    source    TEXT NOT NULL,
    loaded_by TEXT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE calendar_days (
    day  TEXT COLLATE "C" PRIMARY KEY CHECK (day ~ '^[0-9]{4}-[01][0-9]-[0-3][0-9]$'),
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name TEXT NOT NULL,
    year INTEGER NOT NULL REFERENCES calendar_years (year)
);
CREATE INDEX calendar_days_year ON calendar_days (year);

-- 2023–2026 as the notices give them (../shared/data/calendar/
-- cn-holidays.csv, cross-checked there against three other sources; a
-- test checks that these rows and that file are the same).
-- loaded_at is the time the migration runs.
INSERT INTO calendar_years (year, source, loaded_by, loaded_at) VALUES
(2023, '国务院办公厅关于2023年部分节假日安排的通知（国办发明电〔2022〕16号，2022年12月8日） http://www.gov.cn/zhengce/content/2022-12/08/content_5730844.htm', 'migration 0008', now()),
(2024, '国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号，2023年10月25日） https://www.gov.cn/zhengce/content/202310/content_6911527.htm', 'migration 0008', now()),
(2025, '国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号，2024年11月12日） https://www.gov.cn/zhengce/content/202411/content_6986382.htm', 'migration 0008', now()),
(2026, '国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日；文号未查到） https://www.gov.cn/zhengce/content/202511/content_7047090.htm', 'migration 0008', now());

-- 2023: 34 days (holiday 27, workday 7)
INSERT INTO calendar_days (day, kind, name, year) VALUES
('2022-12-31', 'holiday', '元旦', 2023),
('2023-01-01', 'holiday', '元旦', 2023),
('2023-01-02', 'holiday', '元旦', 2023),
('2023-01-21', 'holiday', '春节', 2023),
('2023-01-22', 'holiday', '春节', 2023),
('2023-01-23', 'holiday', '春节', 2023),
('2023-01-24', 'holiday', '春节', 2023),
('2023-01-25', 'holiday', '春节', 2023),
('2023-01-26', 'holiday', '春节', 2023),
('2023-01-27', 'holiday', '春节', 2023),
('2023-01-28', 'workday', '春节', 2023),
('2023-01-29', 'workday', '春节', 2023),
('2023-04-05', 'holiday', '清明节', 2023),
('2023-04-23', 'workday', '劳动节', 2023),
('2023-04-29', 'holiday', '劳动节', 2023),
('2023-04-30', 'holiday', '劳动节', 2023),
('2023-05-01', 'holiday', '劳动节', 2023),
('2023-05-02', 'holiday', '劳动节', 2023),
('2023-05-03', 'holiday', '劳动节', 2023),
('2023-05-06', 'workday', '劳动节', 2023),
('2023-06-22', 'holiday', '端午节', 2023),
('2023-06-23', 'holiday', '端午节', 2023),
('2023-06-24', 'holiday', '端午节', 2023),
('2023-06-25', 'workday', '端午节', 2023),
('2023-09-29', 'holiday', '中秋节', 2023),
('2023-09-30', 'holiday', '国庆节', 2023),
('2023-10-01', 'holiday', '国庆节', 2023),
('2023-10-02', 'holiday', '国庆节', 2023),
('2023-10-03', 'holiday', '国庆节', 2023),
('2023-10-04', 'holiday', '国庆节', 2023),
('2023-10-05', 'holiday', '国庆节', 2023),
('2023-10-06', 'holiday', '国庆节', 2023),
('2023-10-07', 'workday', '国庆节', 2023),
('2023-10-08', 'workday', '国庆节', 2023);

-- 2024: 36 days (holiday 28, workday 8)
INSERT INTO calendar_days (day, kind, name, year) VALUES
('2024-01-01', 'holiday', '元旦', 2024),
('2024-02-04', 'workday', '春节', 2024),
('2024-02-10', 'holiday', '春节', 2024),
('2024-02-11', 'holiday', '春节', 2024),
('2024-02-12', 'holiday', '春节', 2024),
('2024-02-13', 'holiday', '春节', 2024),
('2024-02-14', 'holiday', '春节', 2024),
('2024-02-15', 'holiday', '春节', 2024),
('2024-02-16', 'holiday', '春节', 2024),
('2024-02-17', 'holiday', '春节', 2024),
('2024-02-18', 'workday', '春节', 2024),
('2024-04-04', 'holiday', '清明节', 2024),
('2024-04-05', 'holiday', '清明节', 2024),
('2024-04-06', 'holiday', '清明节', 2024),
('2024-04-07', 'workday', '清明节', 2024),
('2024-04-28', 'workday', '劳动节', 2024),
('2024-05-01', 'holiday', '劳动节', 2024),
('2024-05-02', 'holiday', '劳动节', 2024),
('2024-05-03', 'holiday', '劳动节', 2024),
('2024-05-04', 'holiday', '劳动节', 2024),
('2024-05-05', 'holiday', '劳动节', 2024),
('2024-05-11', 'workday', '劳动节', 2024),
('2024-06-10', 'holiday', '端午节', 2024),
('2024-09-14', 'workday', '中秋节', 2024),
('2024-09-15', 'holiday', '中秋节', 2024),
('2024-09-16', 'holiday', '中秋节', 2024),
('2024-09-17', 'holiday', '中秋节', 2024),
('2024-09-29', 'workday', '国庆节', 2024),
('2024-10-01', 'holiday', '国庆节', 2024),
('2024-10-02', 'holiday', '国庆节', 2024),
('2024-10-03', 'holiday', '国庆节', 2024),
('2024-10-04', 'holiday', '国庆节', 2024),
('2024-10-05', 'holiday', '国庆节', 2024),
('2024-10-06', 'holiday', '国庆节', 2024),
('2024-10-07', 'holiday', '国庆节', 2024),
('2024-10-12', 'workday', '国庆节', 2024);

-- 2025: 33 days (holiday 28, workday 5)
INSERT INTO calendar_days (day, kind, name, year) VALUES
('2025-01-01', 'holiday', '元旦', 2025),
('2025-01-26', 'workday', '春节', 2025),
('2025-01-28', 'holiday', '春节', 2025),
('2025-01-29', 'holiday', '春节', 2025),
('2025-01-30', 'holiday', '春节', 2025),
('2025-01-31', 'holiday', '春节', 2025),
('2025-02-01', 'holiday', '春节', 2025),
('2025-02-02', 'holiday', '春节', 2025),
('2025-02-03', 'holiday', '春节', 2025),
('2025-02-04', 'holiday', '春节', 2025),
('2025-02-08', 'workday', '春节', 2025),
('2025-04-04', 'holiday', '清明节', 2025),
('2025-04-05', 'holiday', '清明节', 2025),
('2025-04-06', 'holiday', '清明节', 2025),
('2025-04-27', 'workday', '劳动节', 2025),
('2025-05-01', 'holiday', '劳动节', 2025),
('2025-05-02', 'holiday', '劳动节', 2025),
('2025-05-03', 'holiday', '劳动节', 2025),
('2025-05-04', 'holiday', '劳动节', 2025),
('2025-05-05', 'holiday', '劳动节', 2025),
('2025-05-31', 'holiday', '端午节', 2025),
('2025-06-01', 'holiday', '端午节', 2025),
('2025-06-02', 'holiday', '端午节', 2025),
('2025-09-28', 'workday', '国庆节', 2025),
('2025-10-01', 'holiday', '国庆节', 2025),
('2025-10-02', 'holiday', '国庆节', 2025),
('2025-10-03', 'holiday', '国庆节', 2025),
('2025-10-04', 'holiday', '国庆节', 2025),
('2025-10-05', 'holiday', '国庆节', 2025),
('2025-10-06', 'holiday', '中秋节', 2025),
('2025-10-07', 'holiday', '国庆节', 2025),
('2025-10-08', 'holiday', '国庆节', 2025),
('2025-10-11', 'workday', '国庆节', 2025);

-- 2026: 39 days (holiday 33, workday 6)
INSERT INTO calendar_days (day, kind, name, year) VALUES
('2026-01-01', 'holiday', '元旦', 2026),
('2026-01-02', 'holiday', '元旦', 2026),
('2026-01-03', 'holiday', '元旦', 2026),
('2026-01-04', 'workday', '元旦', 2026),
('2026-02-14', 'workday', '春节', 2026),
('2026-02-15', 'holiday', '春节', 2026),
('2026-02-16', 'holiday', '春节', 2026),
('2026-02-17', 'holiday', '春节', 2026),
('2026-02-18', 'holiday', '春节', 2026),
('2026-02-19', 'holiday', '春节', 2026),
('2026-02-20', 'holiday', '春节', 2026),
('2026-02-21', 'holiday', '春节', 2026),
('2026-02-22', 'holiday', '春节', 2026),
('2026-02-23', 'holiday', '春节', 2026),
('2026-02-28', 'workday', '春节', 2026),
('2026-04-04', 'holiday', '清明节', 2026),
('2026-04-05', 'holiday', '清明节', 2026),
('2026-04-06', 'holiday', '清明节', 2026),
('2026-05-01', 'holiday', '劳动节', 2026),
('2026-05-02', 'holiday', '劳动节', 2026),
('2026-05-03', 'holiday', '劳动节', 2026),
('2026-05-04', 'holiday', '劳动节', 2026),
('2026-05-05', 'holiday', '劳动节', 2026),
('2026-05-09', 'workday', '劳动节', 2026),
('2026-06-19', 'holiday', '端午节', 2026),
('2026-06-20', 'holiday', '端午节', 2026),
('2026-06-21', 'holiday', '端午节', 2026),
('2026-09-20', 'workday', '国庆节', 2026),
('2026-09-25', 'holiday', '中秋节', 2026),
('2026-09-26', 'holiday', '中秋节', 2026),
('2026-09-27', 'holiday', '中秋节', 2026),
('2026-10-01', 'holiday', '国庆节', 2026),
('2026-10-02', 'holiday', '国庆节', 2026),
('2026-10-03', 'holiday', '国庆节', 2026),
('2026-10-04', 'holiday', '国庆节', 2026),
('2026-10-05', 'holiday', '国庆节', 2026),
('2026-10-06', 'holiday', '国庆节', 2026),
('2026-10-07', 'holiday', '国庆节', 2026),
('2026-10-10', 'workday', '国庆节', 2026);

package storetest

// Calendar2027 is a calendar file for 2027 with INVENTED dates: a test
// fixture, not the State Council's notice (which no stored source has;
// see ../shared/data/calendar/SOURCES.md). It is well-formed as a notice
// is (make-up workdays on Saturdays and Sundays, holiday periods around
// the festivals' real dates) so that tests can load a year that is not
// seeded: 35 rows, holiday 29, workday 6. 2027-01-01 is a Friday and a
// holiday here, so 2026-12-31 + 1 working day is 2027-01-04 once it is
// loaded, and 2027-01-01 before.
const Calendar2027 = `date,kind,name
2027-01-01,holiday,元旦
2027-01-02,holiday,元旦
2027-01-03,holiday,元旦
2027-01-31,workday,春节
2027-02-05,holiday,春节
2027-02-06,holiday,春节
2027-02-07,holiday,春节
2027-02-08,holiday,春节
2027-02-09,holiday,春节
2027-02-10,holiday,春节
2027-02-11,holiday,春节
2027-02-12,holiday,春节
2027-02-13,holiday,春节
2027-02-20,workday,春节
2027-04-03,holiday,清明节
2027-04-04,holiday,清明节
2027-04-05,holiday,清明节
2027-04-25,workday,劳动节
2027-05-01,holiday,劳动节
2027-05-02,holiday,劳动节
2027-05-03,holiday,劳动节
2027-05-04,holiday,劳动节
2027-05-05,holiday,劳动节
2027-05-08,workday,劳动节
2027-06-09,holiday,端午节
2027-09-15,holiday,中秋节
2027-09-26,workday,国庆节
2027-10-01,holiday,国庆节
2027-10-02,holiday,国庆节
2027-10-03,holiday,国庆节
2027-10-04,holiday,国庆节
2027-10-05,holiday,国庆节
2027-10-06,holiday,国庆节
2027-10-07,holiday,国庆节
2027-10-09,workday,国庆节
`

// CalendarCSV is the path of the real 2023–2026 calendar data.
const CalendarCSV = "calendar/cn-holidays.csv"

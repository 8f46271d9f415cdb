package backstop

// Policy keys of microcredit (issue 12 item 5): every cap, term, rate,
// list and clock of a loan is a row with its effective dates and source;
// a loan records the ids of the rows it used, and a missing row is an
// error naming it.
const (
	// PolicyLoanAmountCap: yuan a household may owe on loans normally.
	PolicyLoanAmountCap = "loans.amount_cap"
	// PolicyLoanHouseholdCap: yuan a household may owe with top-ups.
	PolicyLoanHouseholdCap = "loans.household_cap"
	// PolicyLoanSubsidyCap: yuan of a household's principal that get an
	// interest subsidy (the part above gets none).
	PolicyLoanSubsidyCap = "loans.subsidy_cap"
	// PolicyLoanTermMax: longest term of a loan, in months.
	PolicyLoanTermMax = "loans.term_max_months"
	// PolicyLoanSubsidyPct: percent of the interest subsidised, by period
	// (rows with effective dates; a period without a row is an error).
	PolicyLoanSubsidyPct = "loans.interest_subsidy_pct"
	// PolicyLoanRate: the annual rate of a loan when the bank states none.
	PolicyLoanRate = "loans.rate_pct"
	// PolicyLoanBorrowerAge: the borrower's ages at application, inclusive.
	PolicyLoanBorrowerAge = "loans.borrower_age"
	// PolicyLoanPurposes: the production uses a loan may be for.
	PolicyLoanPurposes = "loans.purposes"
	// PolicyLoanExtensionMonths, PolicyLoanExtensionTimes,
	// PolicyLoanRenewalTimes: the limits of 展期 and 续贷.
	PolicyLoanExtensionMonths = "loans.extension_max_months"
	PolicyLoanExtensionTimes  = "loans.extension_max_times"
	PolicyLoanRenewalTimes    = "loans.renewal_max_times"
	// PolicyLoanPapers: the papers of a loan's file (those granted
	// missing come from it), PolicyLoanPapersDue their working days.
	PolicyLoanPapers    = "loans.papers"
	PolicyLoanPapersDue = "loans.papers_due_workdays"
	// PolicyLoanInstalmentMonths: months between instalments (interest);
	// PolicyLoanReminderDays: days before each that the helper is told.
	PolicyLoanInstalmentMonths = "loans.instalment_months"
	PolicyLoanReminderDays     = "loans.reminder_days"
	// PolicyLoanDifficultyShare: a verified loss report's production loss
	// (net of claims) from this share of an outstanding loan's amount on
	// is repayment difficulty (the report has no field of its own).
	PolicyLoanDifficultyShare = "loans.difficulty_loss_share"
)

func init() {
	for _, k := range []PolicyKey{
		{Key: PolicyLoanAmountCap, Type: PolicyNumber, Unit: "yuan", Required: true, Min: 1, Max: MaxLoanAmount,
			ZH: "脱贫人口小额信贷户均额度上限（一般情况）", EN: "yuan a household may owe on microcredit normally"},
		{Key: PolicyLoanHouseholdCap, Type: PolicyNumber, Unit: "yuan", Required: true, Min: 1, Max: MaxLoanAmount,
			ZH: "追加贷款后户均贷款总额上限", EN: "yuan a household may owe in total with top-ups"},
		{Key: PolicyLoanSubsidyCap, Type: PolicyNumber, Unit: "yuan", Required: true, Min: 0, Max: MaxLoanAmount,
			ZH: "享受财政贴息的户均本金上限（超出部分不贴息）", EN: "yuan of a household's principal with interest subsidy"},
		{Key: PolicyLoanTermMax, Type: PolicyNumber, Unit: "months", Required: true, Min: 1, Max: MaxLoanTermMonths,
			ZH: "小额信贷期限上限（月）", EN: "longest loan term in months"},
		{Key: PolicyLoanSubsidyPct, Type: PolicyNumber, Unit: "percent", Required: true, Min: 0, Max: 100,
			ZH: "财政贴息比例（按时段，占利息的百分比）", EN: "percent of the interest subsidised, by period"},
		{Key: PolicyLoanRate, Type: PolicyNumber, Unit: "percent/year", Required: true, Min: 0.01, Max: MaxLoanRate,
			ZH: "小额信贷执行利率（未另行约定时）", EN: "annual rate of a loan when the bank states none"},
		{Key: PolicyLoanBorrowerAge, Type: PolicyTable, Unit: "years of age", Required: true, Min: 0, Max: 120, Rows: []string{"from", "to"},
			ZH: "借款人申请时年龄范围（周岁，含首尾）", EN: "borrower's ages at application, inclusive"},
		{Key: PolicyLoanPurposes, Type: PolicyList, Unit: "codes", Required: true,
			ZH: "小额信贷可用于的生产经营用途", EN: "production uses a loan may be for"},
		{Key: PolicyLoanExtensionMonths, Type: PolicyNumber, Unit: "months", Required: true, Min: 1, Max: 120,
			ZH: "展期期限上限（月）", EN: "longest extension in months"},
		{Key: PolicyLoanExtensionTimes, Type: PolicyNumber, Unit: "times", Required: true, Min: 0, Max: 10,
			ZH: "一笔贷款可展期次数", EN: "extensions a loan may have"},
		{Key: PolicyLoanRenewalTimes, Type: PolicyNumber, Unit: "times", Required: true, Min: 0, Max: 10,
			ZH: "一笔贷款可续贷次数", EN: "renewals a loan may have"},
		{Key: PolicyLoanPapers, Type: PolicyChecklist, Unit: "items", Required: true,
			ZH: "小额信贷申请材料（容缺办理时从中列出缺少的材料）", EN: "papers of a loan's file"},
		{Key: PolicyLoanPapersDue, Type: PolicyNumber, Unit: "workdays", Required: true, Min: 1, Max: 120,
			ZH: "容缺办理后补齐材料的时限（工作日）", EN: "working days to fill papers granted missing"},
		{Key: PolicyLoanInstalmentMonths, Type: PolicyNumber, Unit: "months", Required: true, Min: 1, Max: 12,
			ZH: "还款付息间隔（月）", EN: "months between instalments"},
		{Key: PolicyLoanReminderDays, Type: PolicyNumber, Unit: "days", Required: true, Min: 1, Max: 60,
			ZH: "每期还款前提醒帮扶责任人的天数", EN: "days before each instalment that the helper is reminded"},
		{Key: PolicyLoanDifficultyShare, Type: PolicyNumber, Unit: "share of loan amount", Required: true, Min: 0.01, Max: 10,
			ZH: "灾损（生产性损失扣除理赔）达到贷款金额的该比例即视为还款困难", EN: "production loss net of claims, as a share of the loan, that is repayment difficulty"},
	} {
		RegisterPolicyKey(k)
	}
}

package backstop

// Term names a code of the system's vocabulary (a channel, a role, a
// hazard, a warning level, a state) in both languages, for messages:
// Localized and E print its Chinese name in the Chinese message and its
// English one in the English, so that no raw code (wecom, in_step,
// release.confirm) reaches a Chinese sentence. A code it does not know is
// named by itself in both.
func Term(kind, code string) Named {
	if kind == TermHazard {
		for _, h := range Hazards {
			if string(h.Code) == code {
				return Named{h.ZH, h.EN}
			}
		}
	}
	if kind == TermRole {
		if n, ok := roleNames[Role(code)]; ok {
			return n
		}
	}
	if n, ok := termNames[kind][code]; ok {
		return n
	}
	return Named{code, code}
}

// The kinds of Term.
const (
	TermChannel         = "channel"
	TermRole            = "role"
	TermHazard          = "hazard"
	TermLevel           = "level"
	TermWarningState    = "warning.state"
	TermWarningStatus   = "warning.status"
	TermQuarantineState = "quarantine.state"
	TermPlanState       = "plan.state"
	TermEventState      = "event.state"
	TermIntakeState     = "intake.state"
	TermClockKind       = "clock.kind"
	TermClockState      = "clock.state"
	TermIntakeStep      = "intake.step"
)

// termNames are the Chinese names the web catalog uses for the same codes
// (web/locale/zh-CN.json; a web test checks that the two agree).
var termNames = map[string]map[string]Named{
	TermChannel: {
		ChannelSMS: {"短信", "SMS"}, ChannelWeCom: {"企业微信", "WeCom"},
		ChannelBroadcast: {"农村应急广播", "village loudspeakers"}, ChannelEmail: {"电子邮件", "email"},
	},
	TermLevel: {
		string(WarningRed): {"红色", "red"}, string(WarningOrange): {"橙色", "orange"},
		string(WarningYellow): {"黄色", "yellow"}, string(WarningBlue): {"蓝色", "blue"}, "": {"未分级", "unlevelled"},
	},
	TermWarningState: {
		StateActive: {"生效中", "active"}, StateUpdated: {"已更新", "updated"},
		StateCancelled: {"已解除", "cancelled"}, StateExpired: {"已过期", "expired"},
	},
	TermWarningStatus: {
		"Actual": {"正式", "Actual"}, "Exercise": {"演练", "Exercise"}, "System": {"系统", "System"},
		"Test": {"测试", "Test"}, "Draft": {"草稿", "Draft"},
	},
	TermQuarantineState: {
		QuarantineOpen: {"待处理", "open"}, QuarantineAccepted: {"已接收", "accepted"}, QuarantineDismissed: {"已驳回", "dismissed"},
	},
	TermPlanState: {
		string(PlanMissing): {"未编制", "missing"}, string(PlanDraft): {"草稿", "draft"},
		string(PlanSubmitted): {"待市级审批", "submitted"}, string(PlanApproved): {"已批准", "approved"},
	},
	TermEventState: {
		"ongoing": {"进行中", "ongoing"}, "stabilised": {"灾情稳定", "stabilised"}, "closed": {"已结束", "closed"},
	},
	TermIntakeState: {
		string(IntakeReceived): {"待核实", "received"}, string(IntakeChecked): {"已核实", "checked"},
		string(IntakeAnswered): {"已答复", "answered"}, string(IntakeApproved): {"已认定", "approved"},
		string(IntakeRejected): {"不予认定", "rejected"},
	},
	TermClockKind: {
		"release.confirm":      {"重点人群确认", "release confirmation"},
		"event.initial_report": {"初报时限", "initial report"}, "event.followup_report": {"续报时限", "follow-up report"},
		"event.final_report": {"核报时限", "final report"},
		ClockIntakeCheck:     {"村级核实", "village check"}, ClockIntakeAnswer: {"答复群众", "answer to the reporter"},
		ClockIntakeReview:   {"审核认定", "county approval"},
		ClockReferralAnswer: {"低保/特困转介答复", "civil affairs' answer to a referral"}, ClockWaterRepair: {"饮水设施维修", "drinking-water repair"},
	},
	TermIntakeStep: {
		StepCheck: {"核实", "check"}, StepAnswer: {"答复", "answer"}, StepApprove: {"认定", "approve"}, StepReject: {"不予认定", "reject"},
	},
	TermClockState: {
		string(ClockRunning): {"进行中", "running"}, string(ClockMet): {"已按时完成", "met"}, string(ClockCancelled): {"已取消", "cancelled"},
	},
}

// TermNames lists the codes of a kind with their names, for the test that
// compares them with the web catalog.
func TermNames(kind string) map[string]Named { return termNames[kind] }

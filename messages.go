package backstop

import "fmt"

// CatalogEntry is one entry of the error catalog: what a user reads, in
// Chinese first, with English beside it.
type CatalogEntry struct{ ZH, EN string }

// errorCatalog holds the messages of errors that carry a catalog key: the
// classes every use case shares (permissions, sign-in, not found, input,
// conflicts, limits). Arguments are filled in with fmt verbs.
var errorCatalog = map[string]CatalogEntry{
	"unauthorized":       {"请先登录", "Sign in first."},
	"forbidden.role":     {"您的角色（%s）无权%s", "Your role (%s) may not %s."},
	"forbidden.region":   {"%s不在您的管辖范围（%s）内", "%s is outside your region (%s)."},
	"forbidden.disabled": {"该账号已停用", "This account is disabled."},
	"notfound.record":    {"找不到该记录", "Not found."},
	"notfound.thing":     {"找不到%s", "%s not found."},
	"conflict.exists":    {"该记录已存在", "A record with this key exists already."},
	"conflict.changed":   {"%s已被他人修改或处理，请刷新后重试", "%s was changed by someone else; reload and try again."},
	"invalid.reference":  {"引用的记录不存在", "A referenced record does not exist."},
	"invalid.field":      {"%s有误：%s", "%s is wrong: %s"},
	"invalid.form":       {"表单无法读取，请重新提交", "The form could not be read; send it again."},
	"internal":           {"系统内部错误，请稍后再试；如仍不行请联系管理员", "Internal error."},

	// A write naming an id that is not in the user's region: whether it
	// exists elsewhere is not said (see NotInRegion).
	"forbidden.region_or_missing": {"%s不在您的管辖范围（%s）内或不存在", "%s is not in your region (%s), or does not exist."},
}

// codeMessages are what a user reads of an error that has no Chinese text
// of its own: one sentence per code, so that no English reaches a page.
var codeMessages = map[string]CatalogEntry{
	ECONFLICT:     {"操作与当前状态冲突，请刷新后重试", "The action conflicts with the current state."},
	EINTERNAL:     errorCatalog["internal"],
	EINVALID:      {"输入有误，请检查后重新提交", "The input is wrong."},
	ENOTFOUND:     errorCatalog["notfound.record"],
	EUNAUTHORIZED: errorCatalog["unauthorized"],
	EFORBIDDEN:    {"您没有执行此操作的权限", "You may not do this."},
	ETOOLARGE:     {"超出大小或数量上限", "The input exceeds a limit."},
	ERATELIMIT:    {"操作过于频繁，请稍后再试", "Too many attempts; try again later."},
	EUNAVAILABLE:  {"该功能暂不可用，请联系管理员", "This is not available now."},
	EUNSUPPORTED:  {"不支持该文件或数据格式", "This format is not supported."},
}

// E builds an error from the catalog: its code, key and arguments, with
// the message in both languages.
func E(code, key string, args ...any) *Error {
	m, ok := errorCatalog[key]
	if !ok {
		m = codeMessages[code]
	}
	e := &Error{Code: code, Key: key, Args: args, Message: m.EN, ZH: m.ZH}
	if len(args) > 0 {
		e.Message, e.ZH = fmt.Sprintf(m.EN, args...), fmt.Sprintf(m.ZH, localArgs(args)...)
	}
	return e
}

// Named is an argument with its name in both languages (a role, a
// permission, a kind of record): E fills in the English name in the
// English message and the Chinese one in the Chinese.
type Named struct{ ZH, EN string }

func (n Named) String() string { return n.EN }

func localArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if n, ok := a.(Named); ok {
			out[i] = n.ZH
		} else {
			out[i] = a
		}
	}
	return out
}

// roleNames and permissionNames are what errors call roles and
// permissions.
var roleNames = map[Role]Named{
	RoleAdmin: {"系统管理员", "admin"}, RoleCity: {"市级", "city"}, RoleCounty: {"县级", "county"}, RoleTownship: {"乡镇", "township"},
	RoleVillage: {"村级", "village"}, RoleDepartment: {"部门", "department"}, RoleAuditor: {"审计", "auditor"},
	RoleInfoOfficer: {"灾害信息员", "disaster information officer"},
}

var permissionNames = map[Permission]Named{
	PermReadRegistry:      {"查看农户信息", "read the registry"},
	PermWriteRegistry:     {"修改农户信息", "change the registry"},
	PermRevealPII:         {"查看完整身份证号和电话", "see ID numbers and phones unmasked"},
	PermExport:            {"导出名单", "export lists"},
	PermManageUsers:       {"管理用户", "manage users"},
	PermManageRegions:     {"管理行政区划", "manage regions"},
	PermReadAudit:         {"查看审计日志", "read the audit trail"},
	PermReadWarnings:      {"查看预警", "read warnings"},
	PermWriteWarnings:     {"录入、更新或解除预警", "issue, update or cancel warnings"},
	PermConsult:           {"记录会商研判", "record consultations"},
	PermApprove:           {"审批会商研判", "approve consultations"},
	PermManageFeeds:       {"管理预警订阅源", "manage feeds"},
	PermRelease:           {"定向发布预警", "make targeted releases"},
	PermConfirm:           {"确认重点人群已告知", "confirm that key-group persons were reached"},
	PermManageReach:       {"管理联系人和短信模板", "manage contacts and templates"},
	PermManageChannel:     {"管理发布渠道", "manage channels"},
	PermManagePolicy:      {"修改政策参数和节假日安排", "change policy parameters and the calendar"},
	PermResolveQuarantine: {"处理被拒收的预警", "accept or dismiss refused alerts"},
	PermReadPrepared:      {"查看预案与协同信息", "read plans, officers, projects, assets, insurance and publicity"},
	PermWritePlans:        {"编制预案", "draft contingency plans"},
	PermApprovePlans:      {"审批预案", "approve contingency plans"},
	PermManageOfficers:    {"管理灾害信息员和培训", "manage disaster information officers and their training"},
	PermManageOrgs:        {"管理部门和成员", "manage departments and their members"},
	PermReadSharing:       {"查看部门信息共享", "read departments' information sharing"},
	PermSubscribe:         {"管理信息共享订阅", "manage information-sharing subscriptions"},
	PermPush:              {"推送部门灾情信息", "push department disaster information"},
	PermWriteProjects:     {"申报项目", "propose projects"},
	PermReviewProjects:    {"审核项目、登记项目资金和实施", "review projects, record their funds and implementation"},
	PermManageAssets:      {"管理扶贫项目资产", "manage project assets"},
	PermApproveAssets:     {"审批资产处置", "approve what becomes of damaged assets"},
	PermManageInsurance:   {"管理保险信息", "manage insurance"},
	PermManagePublicity:   {"管理宣传教育活动", "manage publicity events"},
	PermScreen:            {"管理灾害过程和排查", "manage disaster events and screening campaigns"},
	PermReportLoss:        {"填报走访和灾损报告", "file visits and loss reports"},
	PermVerifyLoss:        {"核实灾损报告", "verify loss reports"},
	PermIntake:            {"办理一键报贫和部门线索", "handle self-reports and referrals"},
	PermIntakeApprove:     {"认定一键报贫和部门线索", "approve self-reports and referrals"},
	PermRefer:             {"推送风险线索", "refer households at risk"},
	PermReadCases:         {"查看监测帮扶案件", "read monitoring cases and measures"},
	PermManageCases:       {"办理监测帮扶案件", "open cases and do their steps"},
	PermApproveCases:      {"审核审批监测帮扶案件", "review and approve cases"},
	PermMeasureQueue:      {"查看帮扶措施待办", "read measure queues"},
}

// RoleName is a role's name in both languages.
func RoleName(r Role) Named {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return Named{string(r), string(r)}
}

// PermissionName is a permission's name in both languages.
func PermissionName(p Permission) Named {
	if n, ok := permissionNames[p]; ok {
		return n
	}
	return Named{"执行此操作", string(p)}
}

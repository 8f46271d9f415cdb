package loans

import (
	"context"
	"fmt"
	"io"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sheet"
)

// MaxExportRows bounds one export of the loans list.
const MaxExportRows = 200000

// SheetHeader is the loans list's columns as exported.
var SheetHeader = []any{"户编号", "户主姓名", "行政区划代码", "贷款类型", "放贷银行", "金额（元）", "期限（月）", "年利率（%）", "用途", "借款人", "借款人证件号码",
	"申请日期", "放款日期", "到期日期", "状态", "贴息本金（元）", "贴息比例（%）", "待补材料", "例外办理", "政策版本"}

var kindZH = map[backstop.LoanKind]string{backstop.LoanNew: "新增", backstop.LoanTopUp: "追加", backstop.LoanExtension: "展期", backstop.LoanRenewal: "续贷"}

// KindZH and StateZH name a kind and a state in Chinese.
func KindZH(k backstop.LoanKind) string   { return kindZH[k] }
func StateZH(s backstop.LoanState) string { return stateZH[s] }

// WriteLoans writes the loans of the filter as a sheet (the borrower's ID
// number masked); the export is audited.
func (s *Service) WriteLoans(ctx context.Context, w io.Writer, format string, f backstop.LoanFilter) error {
	f.Offset, f.Limit = 0, 1000
	first, total, err := s.Loans(ctx, f)
	if err != nil {
		return err
	}
	if total > MaxExportRows {
		return backstop.Localized(backstop.ETOOLARGE, "一次最多导出%d笔贷款，现有%d笔：请缩小地区或加筛选条件", "At most %d loans an export, not %d: narrow the filter.", MaxExportRows, total)
	}
	if err := s.AuditExport(ctx, fmt.Sprintf("region %s state %s kind %s bank %s rows %d", f.Region, f.State, f.Kind, f.Bank, total)); err != nil {
		return err
	}
	var out sheet.Writer
	if format == "xlsx" {
		out, err = sheet.NewXLSX(w, "小额信贷")
	} else {
		out, err = sheet.NewCSV(w)
	}
	if err != nil {
		return err
	}
	if err := out.Write(SheetHeader); err != nil {
		return err
	}
	page := first
	for {
		for _, l := range page {
			exc := ""
			if l.Exception != nil {
				exc = l.Exception.Reason + "（" + l.Exception.ApprovedBy + "批准）"
			}
			if err := out.Write([]any{l.Household, l.HeadName, l.Village, KindZH(l.Kind), l.Bank, l.Amount, l.TermMonths, l.Rate, l.PurposeName, l.Borrower, l.BorrowerID,
				l.AppliedOn, l.GrantedOn, l.Due, StateZH(l.State), l.SubsidizedPrincipal, l.SubsidyPct, l.PapersOpen, exc, fmt.Sprint(l.PolicyIDs)}); err != nil {
				return err
			}
		}
		f.Offset += len(page)
		if len(page) < f.Limit || f.Offset >= total {
			break
		}
		if page, _, err = s.Loans(ctx, f); err != nil {
			return err
		}
	}
	return out.Close()
}

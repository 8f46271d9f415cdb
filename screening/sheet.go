package screening

import (
	"context"
	"io"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sheet"
)

func newSheet(w io.Writer, format, name string) (sheet.Writer, error) {
	if format == "xlsx" {
		return sheet.NewXLSX(w, name)
	}
	return sheet.NewCSV(w)
}

// WriteStatistics writes an event's indicators as a sheet: one line per
// region below the area and the area's total, the columns as the national
// forms name them.
func (s *Service) WriteStatistics(ctx context.Context, w io.Writer, format string, id int64, region string) error {
	st, err := s.Statistics(ctx, id, region)
	if err != nil {
		return err
	}
	out, err := newSheet(w, format, "灾情统计")
	if err != nil {
		return err
	}
	head := []any{"地区代码", "地区"}
	for _, in := range st.Indicators {
		head = append(head, in.Name+"（"+in.Unit+"）")
	}
	if err := out.Write(head); err != nil {
		return err
	}
	line := func(code, name string, s *backstop.DisasterFigures) error {
		row := []any{code, name}
		for _, in := range s.Indicators() {
			row = append(row, in.Value)
		}
		return out.Write(row)
	}
	for i := range st.Rows {
		r := st.Rows[i]
		if err := line(r.Region, r.Name, &r); err != nil {
			return err
		}
	}
	if err := line(st.Region, st.Name+"合计", &st.DisasterFigures); err != nil {
		return err
	}
	return out.Close()
}

// LedgerHeader is the 因灾倒塌损坏住房户台账's columns.
var LedgerHeader = []any{"乡镇", "行政村", "户编号", "户主姓名", "家庭人口", "户类型", "监测类型", "联系电话", "住房结构", "安全等级（灾前）",
	"损坏程度", "受损间数", "住房损失（元）", "报告版本", "核实状态", "核实人", "填报人", "填报时间"}

// WriteLedger writes the ledger of an event as a sheet (phones masked;
// audited).
func (s *Service) WriteLedger(ctx context.Context, w io.Writer, format string, id int64, region string) error {
	var out sheet.Writer
	err := s.Ledger(ctx, id, region, func(r *backstop.LedgerRow) error {
		if out == nil {
			var err error
			if out, err = newSheet(w, format, "倒损住房台账"); err != nil {
				return err
			}
			if err := out.Write(LedgerHeader); err != nil {
				return err
			}
		}
		verified := "待核实"
		if r.Report.Verified() {
			verified = "已核实"
		}
		return out.Write([]any{r.Township, r.Village, r.Report.HouseholdNumber, r.HeadName, r.Size, r.Type, r.MonitorType, r.Phone, r.Structure, r.HousingGrade,
			r.Report.HouseDamage.ZH(), r.Report.HouseRooms, r.Report.HouseLoss, r.Report.Version, verified, r.Report.VerifiedBy, r.Report.ReportedBy,
			r.Report.ReportedAt.In(backstop.Beijing).Format("2006-01-02 15:04")})
	})
	if err != nil {
		return err
	}
	if out == nil {
		if out, err = newSheet(w, format, "倒损住房台账"); err != nil {
			return err
		}
		if err := out.Write(LedgerHeader); err != nil {
			return err
		}
	}
	return out.Close()
}

package exposure

import (
	"context"
	"io"
	"strings"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sheet"
)

var groupZH = map[string]string{"formerly_poor": "脱贫户", "monitored": "监测对象", "dibao": "低保", "tekun": "特困", "disability": "残疾", "low_income": "低收入", "elderly_alone": "独居老人"}

// writeExposureSheet writes the totals, the breakdown by township and the
// ranked households (phones masked) on one sheet.
func writeSheet(ctx context.Context, w io.Writer, store backstop.ExposureService, e *backstop.Exposure) error {
	out, err := sheet.NewXLSX(w, "受影响农户")
	if err != nil {
		return err
	}
	row := func(cells ...any) error { return out.Write(cells) }
	row("预警编号", e.WarningID, "计算时间", e.ComputedAt.In(backstop.Beijing).Format("2006-01-02 15:04"), "统计范围", e.Scope)
	row("受影响户数", e.Total.Households, "受影响人数", e.Total.People)
	for _, g := range backstop.Groups {
		row(groupZH[g.String()]+"（户）", e.Total.Groups[g.String()], "人", e.Total.GroupPeople[g.String()])
	}
	row()
	row("乡镇", "代码", "户数", "人数", "脱贫户", "监测对象", "低保", "特困", "残疾", "独居老人")
	for _, t := range e.ByTownship {
		row(t.Name, t.Code, t.Households, t.People, t.Groups["formerly_poor"], t.Groups["monitored"], t.Groups["dibao"], t.Groups["tekun"], t.Groups["disability"], t.Groups["elderly_alone"])
	}
	row()
	row("排序", "户编号", "户主", "乡镇", "村", "人数", "联系电话", "帮扶责任人", "责任人电话", "风险分", "原因")
	for offset := 0; ; offset += 1000 {
		items, _, err := store.FindExposedHouseholds(ctx, e.SnapshotID, offset, 1000)
		if err != nil {
			return err
		}
		for _, h := range items {
			if err := row(h.Rank, h.Number, h.HeadName, h.Township, h.Village, h.People, backstop.MaskPhone(h.Phone), h.HelperName,
				backstop.MaskPhone(h.HelperPhone), h.Score, strings.Join(h.Reasons, "、")); err != nil {
				return err
			}
		}
		if len(items) < 1000 {
			break
		}
	}
	return out.Close()
}

package roster

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sheet"
)

// ExportOptions control an export.
type ExportOptions struct {
	Format string // csv or xlsx
	Filter backstop.HouseholdFilter
	// Reveal writes ID numbers and phones unmasked; it needs the reveal
	// permission and is audited as such.
	Reveal bool
}

// Exporter needs the registry and the audit trail.
type Exporter interface {
	ExportHouseholds(ctx context.Context, f backstop.HouseholdFilter, fn func(*backstop.Household) error) error
	Audit(ctx context.Context, action, entity, record, detail string) error
}

// Export writes the roster in the template's layout, one row per person,
// masked unless opts.Reveal. It returns the number of persons written. The
// export is audited before the first byte leaves, so that a failed
// download is on record too.
func Export(ctx context.Context, store Exporter, w io.Writer, opts ExportOptions) (int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return 0, err
	}
	if err := u.Require(backstop.PermExport); err != nil {
		return 0, err
	}
	if opts.Reveal {
		if err := u.Require(backstop.PermRevealPII); err != nil {
			return 0, err
		}
	}
	var out sheet.Writer
	switch opts.Format {
	case "csv", "":
		out, err = sheet.NewCSV(w)
	case "xlsx":
		out, err = sheet.NewXLSX(w, "人口名单")
	default:
		return 0, backstop.Localized(backstop.EINVALID, "导出格式应为csv或xlsx，不是%q", "export format must be csv or xlsx, not %q", opts.Format)
	}
	if err != nil {
		return 0, err
	}
	action := "roster.export"
	if opts.Reveal {
		action = "roster.export.reveal"
	}
	if err := store.Audit(ctx, action, "household", opts.Filter.Region, fmt.Sprintf("format %s, groups %v, q %q", opts.Format, opts.Filter.Groups.Names(), opts.Filter.Query)); err != nil {
		return 0, err
	}
	header := make([]any, numColumns)
	for i, h := range Header() {
		header[i] = h
	}
	if err := out.Write(header); err != nil {
		return 0, err
	}
	n := 0
	err = store.ExportHouseholds(ctx, opts.Filter, func(h *backstop.Household) error {
		if !opts.Reveal {
			// Mask also reduces birth dates to the year; the layout has
			// no column derived from them.
			h = h.Mask()
		}
		for _, m := range h.Members {
			n++
			if err := out.Write(Row(n, h, m)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, out.Close()
}

func yesNo(b *bool) any {
	switch {
	case b == nil:
		return ""
	case *b:
		return "是"
	}
	return "否"
}

func optFloat(f *float64) any {
	if f == nil {
		return ""
	}
	return *f
}

// Row lays out one person of a household in roster column order.
func Row(seq int, h *backstop.Household, m *backstop.Member) []any {
	row := make([]any, numColumns)
	var lon, lat any = "", ""
	if h.Location != nil {
		lon, lat = h.Location.Lon, h.Location.Lat
	}
	var months any = ""
	if m.MigrantMonths != nil {
		months = *m.MigrantMonths
	}
	row[ColSeq] = seq
	row[ColDataDate] = h.DataDate
	row[ColCounty] = h.CountyName
	row[ColTownship] = h.TownshipName
	row[ColVillage] = h.VillageName
	row[ColNaturalVillage] = h.NaturalVillage
	row[ColHouseholdNumber] = h.Number
	row[ColPersonNumber] = m.Number
	row[ColName] = m.Name
	row[ColIDNumber] = m.IDNumber
	row[ColSize] = strconv.Itoa(h.Size)
	row[ColRelation] = m.Relation
	row[ColEthnicity] = m.Ethnicity
	row[ColEducation] = m.Education
	row[ColSchoolStatus] = m.SchoolStatus
	row[ColHealth] = m.Health
	row[ColLabour] = m.Labour
	row[ColMigrantMonths] = months
	row[ColIllnessInsured] = yesNo(m.IllnessInsured)
	row[ColPovertyCause] = m.PovertyCause
	row[ColDangerousHouse] = yesNo(h.DangerousHouse)
	row[ColSafeWater] = yesNo(h.SafeWater)
	row[ColIncome] = optFloat(h.IncomePerCapita)
	row[ColHouseholdPhone] = h.Phone
	row[ColPersonPhone] = m.Phone
	row[ColFirstIdentified] = m.FirstIdentified
	row[ColIdentified] = m.Identified
	row[ColHouseholdType] = h.Type
	row[ColMonitorType] = h.MonitorType
	row[ColRiskCleared] = yesNo(h.RiskCleared)
	row[ColRiskIdentified] = h.RiskIdentifiedOn
	row[ColRiskClearedOn] = h.RiskClearedOn
	row[ColVillageCode] = h.VillageCode
	row[ColLon] = lon
	row[ColLat] = lat
	row[ColHousingStructure] = h.HousingStructure
	row[ColHousingGrade] = h.HousingGrade
	row[ColRelocation] = yesNo(h.RelocationHighRise)
	row[ColLivelihood] = h.Livelihood
	row[ColWaterSource] = h.WaterSource
	row[ColAssistance] = string(h.SocialAssistance)
	row[ColHelper] = h.HelperName
	row[ColHelperPhone] = h.HelperPhone
	return row
}

// WriteProblems writes an error sheet: row, column, reason in Chinese and
// English, for the office to correct its file. Phone and ID numbers in the
// texts are masked (the import masks them already; problems may come from
// elsewhere too): the sheet is a file that travels.
func WriteProblems(w io.Writer, format string, problems []backstop.Problem) error {
	var out sheet.Writer
	var err error
	if format == "xlsx" {
		out, err = sheet.NewXLSX(w, "错误")
	} else {
		out, err = sheet.NewCSV(w)
	}
	if err != nil {
		return err
	}
	if err := out.Write([]any{"行号", "列", "错误说明", "Reason"}); err != nil {
		return err
	}
	for _, p := range problems {
		zh := p.ReasonZH
		if zh == "" {
			zh = p.Reason
		}
		if err := out.Write([]any{p.Row, backstop.MaskPersonalNumbers(p.Column), backstop.MaskPersonalNumbers(zh), backstop.MaskPersonalNumbers(p.Reason)}); err != nil {
			return err
		}
	}
	return out.Close()
}

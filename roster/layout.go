// Package roster reads and writes the household roster: the national
// monitoring system's 32-column person list plus backstop's extension
// columns, one row per person, household fields repeated on every row.
package roster

import (
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// Column identifies a roster column.
type Column int

const (
	ColSeq Column = iota
	ColDataDate
	ColCounty
	ColTownship
	ColVillage
	ColNaturalVillage
	ColHouseholdNumber
	ColPersonNumber
	ColName
	ColIDNumber
	ColSize
	ColRelation
	ColEthnicity
	ColEducation
	ColSchoolStatus
	ColHealth
	ColLabour
	ColMigrantMonths
	ColIllnessInsured
	ColPovertyCause
	ColDangerousHouse
	ColSafeWater
	ColIncome
	ColHouseholdPhone
	ColPersonPhone
	ColFirstIdentified
	ColIdentified
	ColHouseholdType
	ColMonitorType
	ColRiskCleared
	ColRiskIdentified
	ColRiskClearedOn
	ColVillageCode
	ColLon
	ColLat
	ColHousingStructure
	ColHousingGrade
	ColRelocation
	ColLivelihood
	ColWaterSource
	ColAssistance
	ColHelper
	ColHelperPhone
	numColumns
)

// columnSpec describes a column: its header as the template writes it,
// other headers accepted for it, and whether it belongs to the household
// (repeated on every member's row, must agree) or to the person.
type columnSpec struct {
	header    string
	aliases   []string
	household bool
	// max is the longest text the column may hold, in characters (0: the
	// column has a form of its own: numbers, codes, dates, phones, values
	// from a list).
	max int
}

var columns = [numColumns]columnSpec{
	ColSeq:             {header: "序号"},
	ColDataDate:        {header: "数据日期"},
	ColCounty:          {header: "县(市、区、旗)", aliases: []string{"县", "县(市、区)", "县区"}, household: true, max: backstop.MaxPlaceNameLength},
	ColTownship:        {header: "乡(镇)", aliases: []string{"乡镇", "乡(镇、街道)"}, household: true, max: backstop.MaxPlaceNameLength},
	ColVillage:         {header: "行政村", aliases: []string{"村"}, household: true, max: backstop.MaxPlaceNameLength},
	ColNaturalVillage:  {header: "自然村", aliases: []string{"村民小组", "组"}, household: true, max: backstop.MaxPlaceNameLength},
	ColHouseholdNumber: {header: "户编号", household: true},
	ColPersonNumber:    {header: "人编号"},
	ColName:            {header: "姓名", max: backstop.MaxNameLength},
	ColIDNumber:        {header: "证件号码", aliases: []string{"身份证号", "身份证号码", "公民身份号码"}},
	ColSize:            {header: "人数", aliases: []string{"家庭人口数", "家庭人数"}, household: true},
	ColRelation:        {header: "与户主关系", max: backstop.MaxShortTextLength},
	ColEthnicity:       {header: "民族", max: backstop.MaxShortTextLength},
	ColEducation:       {header: "文化程度", max: backstop.MaxShortTextLength},
	ColSchoolStatus:    {header: "在校生状况", max: backstop.MaxShortTextLength},
	ColHealth:          {header: "健康状况", max: backstop.MaxDescriptionLength},
	ColLabour:          {header: "劳动技能", max: backstop.MaxShortTextLength},
	ColMigrantMonths:   {header: "务工时间（月）", aliases: []string{"务工时间"}},
	ColIllnessInsured:  {header: "是否参加大病保险"},
	ColPovertyCause:    {header: "致贫原因1", aliases: []string{"致贫原因", "主要致贫原因"}, max: backstop.MaxDescriptionLength},
	ColDangerousHouse:  {header: "危房户", household: true},
	ColSafeWater:       {header: "是否解决安全饮用水", household: true},
	ColIncome:          {header: "人均纯收入", aliases: []string{"家庭人均纯收入"}, household: true},
	// Real rosters fill 户联系电话 per person (the template does), so it is
	// not compared across a household's rows.
	ColHouseholdPhone:   {header: "户联系电话"},
	ColPersonPhone:      {header: "人联系电话", aliases: []string{"联系电话"}},
	ColFirstIdentified:  {header: "首次识别时间"},
	ColIdentified:       {header: "人员识别时间"},
	ColHouseholdType:    {header: "户类型", household: true, max: backstop.MaxShortTextLength},
	ColMonitorType:      {header: "易返贫致贫户(监测对象)类型", aliases: []string{"监测对象类型", "监测类型"}, household: true},
	ColRiskCleared:      {header: "风险是否消除", household: true},
	ColRiskIdentified:   {header: "风险识别时间", household: true},
	ColRiskClearedOn:    {header: "风险消除时间", household: true},
	ColVillageCode:      {header: "行政区划代码", aliases: []string{"村代码", "区划代码"}, household: true},
	ColLon:              {header: "经度", household: true},
	ColLat:              {header: "纬度", household: true},
	ColHousingStructure: {header: "房屋结构", household: true, max: backstop.MaxShortTextLength},
	ColHousingGrade:     {header: "住房安全等级", aliases: []string{"房屋安全等级"}, household: true},
	ColRelocation:       {header: "是否易地扶贫搬迁高楼", household: true},
	ColLivelihood:       {header: "主要生计", household: true, max: backstop.MaxShortTextLength},
	ColWaterSource:      {header: "饮水水源", household: true, max: backstop.MaxShortTextLength},
	ColAssistance:       {header: "低保特困", household: true},
	ColHelper:           {header: "帮扶责任人", household: true, max: backstop.MaxNameLength},
	ColHelperPhone:      {header: "帮扶责任人电话", household: true},
}

// Header returns the template's header row, for exports.
func Header() []string {
	out := make([]string, numColumns)
	for i, c := range columns {
		out[i] = c.header
	}
	return out
}

var headerNoise = strings.NewReplacer("（", "(", "）", ")", " ", "", "\u3000", "", "\n", "", "\r", "", "\t", "")

// normalizeHeader makes headers comparable: full-width parentheses become
// ASCII, spaces and line breaks go.
func normalizeHeader(h string) string {
	h = headerNoise.Replace(h)
	return strings.TrimPrefix(h, "\ufeff")
}

var headerIndex = func() map[string]Column {
	m := map[string]Column{}
	for i, c := range columns {
		m[normalizeHeader(c.header)] = Column(i)
		for _, a := range c.aliases {
			m[normalizeHeader(a)] = Column(i)
		}
	}
	return m
}()

// layout maps a file's columns to roster columns.
type layout struct {
	pos     [numColumns]int // file column index, or -1
	headers [numColumns]string
}

// resolveLayout reads the header row. It reports missing required columns
// and columns that appear twice.
func resolveLayout(header []string) (*layout, []string, []string) {
	l := &layout{}
	for i := range l.pos {
		l.pos[i] = -1
	}
	var dups []string
	for i, h := range header {
		col, ok := headerIndex[normalizeHeader(h)]
		if !ok {
			continue
		}
		if l.pos[col] >= 0 {
			dups = append(dups, h)
			continue
		}
		l.pos[col], l.headers[col] = i, h
	}
	var missing []string
	for _, c := range []Column{ColHouseholdNumber, ColPersonNumber, ColName, ColIDNumber} {
		if l.pos[c] < 0 {
			missing = append(missing, columns[c].header)
		}
	}
	if l.pos[ColVillageCode] < 0 {
		for _, c := range []Column{ColCounty, ColTownship, ColVillage} {
			if l.pos[c] < 0 {
				missing = append(missing, columns[c].header+" (or 行政区划代码)")
			}
		}
	}
	return l, missing, dups
}

func (l *layout) cell(cells []string, c Column) string {
	if i := l.pos[c]; i >= 0 && i < len(cells) {
		return cells[i]
	}
	return ""
}

// name returns the header of a column as the file writes it.
func (l *layout) name(c Column) string {
	if l.headers[c] != "" {
		return l.headers[c]
	}
	return columns[c].header
}

package sqlstore

import (
	"testing"

	"github.com/zhangye-backstop/backstop"
)

// TestRowHashesStable: stored rows carry these hashes; a re-import
// compares against them, so the way they are computed must not change
// (every row would read as changed once).
func TestRowHashesStable(t *testing.T) {
	months, insured, income := 9, true, 6900.5
	m := &backstop.Member{HouseholdNumber: "6207221072060012", Number: "620722107206001201", Name: "马福林", IDNumber: "620722197509140617", Relation: "户主",
		Ethnicity: "汉族", Education: "初中", SchoolStatus: "非在校生", Health: "健康", Labour: "普通劳动力", MigrantMonths: &months, IllnessInsured: &insured,
		PovertyCause: "因灾", Phone: "13893653028", FirstIdentified: "2016-06-01", Identified: "2016-06-01", BirthDate: "1975-09-14"}
	h := &backstop.Household{Number: "6207221072060012", VillageCode: "620722107206", NaturalVillage: "三社", HeadName: "马福林", Size: 3, Type: "脱贫户",
		MonitorType: "脱贫不稳定户", IncomePerCapita: &income, Phone: "13893652013", HousingStructure: "砖混", HousingGrade: "A", Livelihood: "养殖业",
		WaterSource: "集中供水", SocialAssistance: "低保", HelperName: "陈伟", HelperPhone: "13993621234", Location: &backstop.Point{Lon: 100.812, Lat: 38.321}, DataDate: "2026-10-31"}
	for _, c := range []struct {
		what      string
		got, want int64
	}{
		{"member", memberHash(m), 3772652056029255681},
		{"household", householdHash(h, backstop.GroupDibao), -1934069140086186516},
		{"empty member", memberHash(&backstop.Member{}), -9203158600628616892},
	} {
		if c.got != c.want {
			t.Errorf("%s hash = %d, want %d", c.what, c.got, c.want)
		}
	}
}

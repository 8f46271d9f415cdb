// Package demo generates a synthetic Zhangye: the real 6 counties and 78
// townships (public names and codes), generated villages with plausible
// generated boundaries, and households placed inside their villages as a
// rural register of Zhangye has them: families of rural Gansu, the
// counties' ethnic groups, the region's names, the key groups in their
// usual shares, incomes around the monitoring line.
//
// Nothing here is a real person, and every number carries the demo's
// marker; identity.go says what that does and does not guarantee.
package demo

import (
	"fmt"
	"math/rand/v2"

	"github.com/zhangye-backstop/backstop"
)

// FakeAddressCode is an address code GB/T 2260 never assigned in Zhangye:
// an ID number starting with it cannot be anyone's. The demo itself uses
// the real county codes (identity.go); tests that need a number no
// citizen can hold use this one.
const FakeAddressCode = "620799"

// county seeds: the real counties with a point in each (approximate
// public centres; Sunan's is put in its western main body so that the
// generated cells fall roughly where the counties are).
var counties = []struct {
	code, name string
	seed       backstop.Point
}{
	{"620702", "甘州区", backstop.Point{Lon: 100.45, Lat: 38.95}},
	{"620721", "肃南裕固族自治县", backstop.Point{Lon: 99.10, Lat: 38.75}},
	{"620722", "民乐县", backstop.Point{Lon: 100.80, Lat: 38.35}},
	{"620723", "临泽县", backstop.Point{Lon: 100.05, Lat: 39.25}},
	{"620724", "高台县", backstop.Point{Lon: 99.55, Lat: 39.45}},
	{"620725", "山丹县", backstop.Point{Lon: 101.25, Lat: 38.55}},
}

// cityOutline is a convex approximation of Zhangye's extent (WGS84).
var cityOutline = []backstop.Point{
	{Lon: 98.20, Lat: 39.88}, {Lon: 99.60, Lat: 39.80}, {Lon: 100.60, Lat: 39.55}, {Lon: 101.40, Lat: 39.00},
	{Lon: 101.90, Lat: 38.40}, {Lon: 101.70, Lat: 37.95}, {Lon: 100.90, Lat: 37.80}, {Lon: 99.60, Lat: 38.20},
	{Lon: 98.60, Lat: 38.75}, {Lon: 98.10, Lat: 39.40},
}

// Geography is the generated region tree with boundaries.
type Geography struct {
	Regions  []*backstop.Region // city, counties, townships, villages; parents first
	Villages []*Village
}

// Village is a generated village with its cell, for placing households.
type Village struct {
	Code, Name string
	cell       []vec
	weight     float64
}

var villagePrefixes = []rune("东西南北上下新红沙河马王张李杨高黄周陈刘赵孙朱胡何罗郭梁宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文")
var villageSuffixes = []string{"家庄", "寨", "湾", "沟", "滩", "坝", "屯", "堡", "渠", "庄", "营", "墩", "台", "泉", "川", "坪", "岔", "口", "园", "闸"}

// NewGeography generates the region tree; villagesPerTownship is the mean.
func NewGeography(seed uint64, villagesPerTownship int) *Geography {
	rng := rand.New(rand.NewPCG(seed, 0x6207))
	g := &Geography{}
	outline := make([]vec, len(cityOutline))
	for i, p := range cityOutline {
		outline[i] = toVec(p)
	}
	add := func(code, name string, cell []vec) {
		r := &backstop.Region{Code: code, Name: name, Level: backstop.LevelOfCode(code), ParentCode: backstop.ParentCodeOf(code)}
		if cell != nil {
			r.Boundary = multiPolygon(cell)
			r.BoundarySource = "generated"
			c := toPoint(centroid(cell))
			r.Centre = &c
		}
		g.Regions = append(g.Regions, r)
	}
	add("620000000000", "甘肃省", nil)
	add("620700000000", "张掖市", outline)
	seeds := make([]vec, len(counties))
	for i, c := range counties {
		seeds[i] = toVec(c.seed)
	}
	for ci, c := range counties {
		cell := voronoi(outline, seeds, ci)
		add(c.code+"000000", c.name, cell)
		var towns []struct{ code, name string }
		for _, t := range zhangyeTownships {
			if t.code[:6] == c.code {
				towns = append(towns, t)
			}
		}
		tseeds := make([]vec, len(towns))
		for i := range towns {
			tseeds[i] = randomIn(rng, cell)
		}
		for ti, t := range towns {
			tcell := voronoi(cell, tseeds, ti)
			add(t.code+"000", t.name, tcell)
			n := max(2, villagesPerTownship/2+rng.IntN(villagesPerTownship+1))
			vseeds := make([]vec, n)
			for i := range vseeds {
				vseeds[i] = randomIn(rng, tcell)
			}
			used := map[string]bool{}
			for vi := 0; vi < n; vi++ {
				vcell := voronoi(tcell, vseeds, vi)
				if len(vcell) < 3 {
					continue
				}
				name := ""
				for name == "" || used[name] {
					name = string(villagePrefixes[rng.IntN(len(villagePrefixes))]) + villageSuffixes[rng.IntN(len(villageSuffixes))] + "村"
				}
				used[name] = true
				code := fmt.Sprintf("%s%03d", t.code, 200+vi)
				add(code, name, vcell)
				// Households gather in farmland villages more than in the
				// mountains and in town streets: weight by a random factor.
				g.Villages = append(g.Villages, &Village{Code: code, Name: name, cell: vcell, weight: 0.3 + rng.Float64()})
			}
		}
	}
	return g
}

// Point draws a household position inside the village.
func (v *Village) Point(rng *rand.Rand) backstop.Point { return toPoint(randomIn(rng, v.cell)) }

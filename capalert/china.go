package capalert

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/zhangye-backstop/backstop"
)

// GB/T 35965.1-2018 identifiers: 6-digit GB/T 2260 region + 3-digit agency
// + 3-digit internal code + 2-digit extension, "_", the entry time
// YYYYMMDDhhmmss (backstop.Beijing time), and "_N". Real feeds (the CMA sample) omit
// the "_N".
var gbIdentifier = regexp.MustCompile(`^(\d{6})(\d{3})(\d{3})(\d{2})_(\d{14})(?:_(\d))?$`)

// claimsGB tells an identifier that means to follow GB/T 35965.1: 14 digits
// and an underscore.
var claimsGB = regexp.MustCompile(`^\d{14}_`)

// provinces are the GB/T 2260 province-level prefixes.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true, "21": true, "22": true, "23": true, "31": true, "32": true,
	"33": true, "34": true, "35": true, "36": true, "37": true, "41": true, "42": true, "43": true, "44": true, "45": true,
	"46": true, "50": true, "51": true, "52": true, "53": true, "54": true, "61": true, "62": true, "63": true, "64": true,
	"65": true, "71": true, "81": true, "82": true,
}

// GBIdentifier is a GB/T 35965.1 identifier taken apart.
type GBIdentifier struct {
	Region  string // 6-digit GB/T 2260 code
	Agency  string // 3-digit GB/T 4657 code
	Entered time.Time
	Seq     string
}

// ParseGBIdentifier takes a GB/T 35965.1 identifier apart; ok is false
// when the identifier does not follow the format.
func ParseGBIdentifier(id string) (GBIdentifier, bool) {
	m := gbIdentifier.FindStringSubmatch(id)
	if m == nil || !provinces[m[1][:2]] {
		return GBIdentifier{}, false
	}
	t, err := time.ParseInLocation("20060102150405", m[5], backstop.Beijing)
	if err != nil {
		return GBIdentifier{}, false
	}
	return GBIdentifier{Region: m[1], Agency: m[2], Entered: t, Seq: m[6]}, true
}

// CPEASName is the geocode valueName of China's early-warning system.
const CPEASName = "CPEAS Geographic Code"

// IsCPEAS tells a CPEAS geocode. Case, spaces, underscores and hyphens in
// the valueName do not matter: "CPEAS_Geographic_Code" and
// "cpeas geographic code" name the same code list.
func IsCPEAS(v NamedValue) bool {
	return compactName(v.Name) == "cpeasgeographiccode"
}

func compactName(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '\t':
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// checkCPEAS checks a CPEAS code's form: 12 digits (township level and
// below, GB/T 2260 + 6) or 6 (a county, as Chongqing's districts are
// sent), starting with a province code.
func (p *parser) checkCPEAS(v, path string) bool {
	if !digits.MatchString(v) || (len(v) != 12 && len(v) != 6) || !provinces[v[:2]] {
		p.fail(path, "CPEAS 地理编码“%s”须为以省级代码开头的 12 位（或 6 位）数字", "CPEAS geographic code %q must be 12 (or 6) digits starting with a province code", truncate(v, 40))
		return false
	}
	return true
}

var digits = regexp.MustCompile(`^\d+$`)

func (p *parser) chinaProfile(a *Alert, path string) {
	if claimsGB.MatchString(a.Identifier) {
		id, ok := ParseGBIdentifier(a.Identifier)
		switch {
		case !ok:
			p.fail(path+"/identifier", "标识符“%s”看似采用 GB/T 35965.1 格式（区划、机构、编码、_YYYYMMDDhhmmss、可选的 _N），但不符合：须有已知的省级代码和真实的录入时间", "identifier %q claims the GB/T 35965.1 form (region, agency, codes, _YYYYMMDDhhmmss, optional _N) but breaks it: a known province code and a real entry time are required", a.Identifier)
		case !a.Sent.IsZero() && !id.Entered.Equal(a.Sent):
			p.warn(path+"/identifier", "标识符中的录入时间（%s）与 <sent> 不同", "the entry time in the identifier (%s) differs from <sent>", id.Entered.Format("2006-01-02 15:04:05"))
		}
	}
	for i, in := range a.Infos {
		if lvl := ColourLevel(in.Headline + in.Event); lvl != "" {
			if want := SeverityOfLevel[lvl]; in.Severity != "" && in.Severity != "Unknown" && in.Severity != want {
				p.warn(path+"/info["+itoa(i)+"]/severity", "标题为%[4]s预警，但 severity 为 %[2]s（应为 %[3]s）", "the headline says %[1]s but severity is %[2]s (%[3]s expected)", lvl, in.Severity, want, colourZH[lvl])
			}
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// Warning levels by the colours of China's warning signals.
const (
	LevelRed    = "red"    // 红色 Ⅰ级 特别严重
	LevelOrange = "orange" // 橙色 Ⅱ级 严重
	LevelYellow = "yellow" // 黄色 Ⅲ级 较重
	LevelBlue   = "blue"   // 蓝色 Ⅳ级 一般
)

// colourZH names a level's colour in Chinese.
var colourZH = map[string]string{LevelRed: "红色", LevelOrange: "橙色", LevelYellow: "黄色", LevelBlue: "蓝色"}

// SeverityOfLevel maps a colour to CAP severity.
var SeverityOfLevel = map[string]string{LevelRed: "Extreme", LevelOrange: "Severe", LevelYellow: "Moderate", LevelBlue: "Minor"}

// LevelOfSeverity maps CAP severity to a colour ("" for Unknown).
var LevelOfSeverity = map[string]string{"Extreme": LevelRed, "Severe": LevelOrange, "Moderate": LevelYellow, "Minor": LevelBlue}

// ColourLevel finds a warning colour named in Chinese text (红色预警 …).
func ColourLevel(text string) string {
	for _, c := range []struct{ word, level string }{
		{"红色", LevelRed}, {"橙色", LevelOrange}, {"黄色", LevelYellow}, {"蓝色", LevelBlue},
		{"Ⅰ级", LevelRed}, {"Ⅱ级", LevelOrange}, {"Ⅲ级", LevelYellow}, {"Ⅳ级", LevelBlue},
	} {
		if strings.Contains(text, c.word) {
			return c.level
		}
	}
	return ""
}

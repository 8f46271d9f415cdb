package backstop

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// MessageTemplate is the zh-CN text of warning messages for a hazard and
// level ("" matches any) in a region, with placeholders in braces. A
// release in a region uses the template of the most specific region that
// has one (a county's own before the city's, the city's before the
// national defaults), and among those the most specific hazard and level.
type MessageTemplate struct {
	ID        int64        `json:"id"`
	Region    string       `json:"region"` // 12-digit code; NationalScope for the defaults
	Hazard    Hazard       `json:"hazard"` // "" for any hazard
	Level     WarningLevel `json:"level"`  // "" for any level
	Text      string       `json:"text"`
	UpdatedBy string       `json:"updated_by"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// Placeholder is a name a template may use in braces, with what it
// stands for.
type Placeholder struct{ Name, ZH, EN string }

// Placeholders a template may use.
var Placeholders = []Placeholder{
	{"hazard", "灾种", "hazard, e.g. 暴雨"},
	{"level", "预警级别", "level, e.g. 红色（Ⅰ级/特别严重）"},
	{"area", "预警区域", "the warned area"},
	{"time", "时间范围", "time window, e.g. 07-15 08:00至07-16 08:00"},
	{"action", "防御措施", "what to do (the warning's instruction)"},
	{"hotline", "联系电话", "hotline"},
	{"sender", "发布单位", "issuing office"},
}

// TemplateFields are the values a template is rendered with.
type TemplateFields map[string]string

// ValidateTemplate checks that text is not empty, its braces pair and
// every placeholder is known.
func ValidateTemplate(text string) error {
	if strings.TrimSpace(text) == "" {
		return Localized(EINVALID, "模板内容不能为空", "The template text is empty.")
	}
	rest := text
	for {
		open := strings.IndexByte(rest, '{')
		close := strings.IndexByte(rest, '}')
		switch {
		case open < 0 && close < 0:
			return nil
		case open < 0 || (close >= 0 && close < open):
			return Localized(EINVALID, "模板中有多余的“}”", "The template has a '}' without '{'.")
		case close < 0:
			return Localized(EINVALID, "模板中的“{”没有闭合", "The template has a '{' without '}'.")
		}
		name := rest[open+1 : close]
		if !slices.ContainsFunc(Placeholders, func(p Placeholder) bool { return p.Name == name }) {
			names := make([]string, len(Placeholders))
			for i, p := range Placeholders {
				names[i] = "{" + p.Name + "}"
			}
			return Localized(EINVALID, "未知占位符{%s}，可用：%s", "Unknown placeholder {%s}; known: %s", name, strings.Join(names, " "))
		}
		rest = rest[close+1:]
	}
}

// RenderTemplate fills the placeholders of a valid template.
func RenderTemplate(text string, f TemplateFields) string {
	pairs := make([]string, 0, 2*len(Placeholders))
	for _, p := range Placeholders {
		pairs = append(pairs, "{"+p.Name+"}", f[p.Name])
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// LevelText is a level as warnings name it: colour and grade in words, so
// that colour is never alone.
func LevelText(level WarningLevel) string {
	switch level {
	case WarningRed:
		return "红色（Ⅰ级/特别严重）"
	case WarningOrange:
		return "橙色（Ⅱ级/严重）"
	case WarningYellow:
		return "黄色（Ⅲ级/较重）"
	case WarningBlue:
		return "蓝色（Ⅳ级/一般）"
	}
	return ""
}

// SMS lengths of Chinese gateways: a message of up to 70 characters
// (signature included) is one segment; a longer one is sent as a
// concatenated message of 67 characters a segment, the rest carrying the
// joining header. Characters are counted as UCS-2 does, in UTF-16 units.
const (
	SMSSingle = 70
	SMSPart   = 67
)

// SMSSegments is how many segments text takes.
func SMSSegments(text string) int {
	n := len(utf16.Encode([]rune(text)))
	switch {
	case n == 0:
		return 0
	case n <= SMSSingle:
		return 1
	}
	return (n + SMSPart - 1) / SMSPart
}

// SplitSMS cuts text into the segments a gateway sends, never inside a
// surrogate pair.
func SplitSMS(text string) []string {
	units := utf16.Encode([]rune(text))
	if len(units) <= SMSSingle {
		if len(units) == 0 {
			return nil
		}
		return []string{text}
	}
	var out []string
	for len(units) > 0 {
		n := min(SMSPart, len(units))
		if n < len(units) && utf16.IsSurrogate(rune(units[n-1])) && units[n-1] < 0xdc00 {
			n-- // a high surrogate stays with its low half
		}
		out = append(out, string(utf16.Decode(units[:n])))
		units = units[n:]
	}
	return out
}

// TemplateService stores message templates.
type TemplateService interface {
	// FindTemplates lists the templates a user works with: those that
	// apply to the user's region (its own and its parents', down to the
	// national defaults) and those of the regions inside it.
	FindTemplates(ctx context.Context) ([]*MessageTemplate, error)
	// TemplateFor returns the template a release in region uses for a
	// hazard and level: of the most specific region holding region that
	// has a matching template, the most specific one (hazard and level
	// matching, then hazard, then level, then the general one).
	TemplateFor(ctx context.Context, region string, hazard Hazard, level WarningLevel) (*MessageTemplate, error)
	// FindTemplate returns one of the templates FindTemplates lists.
	FindTemplate(ctx context.Context, id int64) (*MessageTemplate, error)
	// SaveTemplate creates (ID 0) or replaces a template after
	// ValidateTemplate. Its region (the user's when empty) must lie in the
	// user's region; a template's region does not change.
	SaveTemplate(ctx context.Context, t *MessageTemplate) error
}

// Contact kinds: people and endpoints a release reaches besides
// households.
const (
	ContactVillageCadre = "village_cadre" // 村干部: messaged with the village, assigned tasks without a helper
	ContactDutyOfficer  = "duty_officer"  // 值班人员 of a township, county or the city
	ContactDepartment   = "department"    // a department's contact, subscribed to hazards
	ContactInfoOfficer  = "info_officer"  // 灾害信息员, subscribed to hazards
	ContactWeComGroup   = "wecom_group"   // a duty group's 企业微信 robot (address: its webhook key or URL)
	ContactBroadcast    = "broadcast"     // a village loudspeaker terminal group (address: its group id)
)

// ContactKinds lists them.
var ContactKinds = []string{ContactVillageCadre, ContactDutyOfficer, ContactDepartment, ContactInfoOfficer, ContactWeComGroup, ContactBroadcast}

// Contact is one person or endpoint of a region.
type Contact struct {
	ID         int64    `json:"id"`
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	Department string   `json:"department,omitempty"`
	Region     string   `json:"region"` // 12-digit code
	Phone      string   `json:"phone,omitempty"`
	Email      string   `json:"email,omitempty"`
	Address    string   `json:"address,omitempty"` // robot webhook or terminal group
	Hazards    []Hazard `json:"hazards,omitempty"` // subscriptions; empty: all hazards
}

// Longest contact fields, in characters: a contact's name is a person's
// or a group's (MaxNameLength); a department's full name (张掖市住房和城乡建设局
// and longer ones) fits in 100; an e-mail address in 254 (RFC 5321); a
// robot webhook URL or a loudspeaker terminal group in 2,048.
const (
	MaxDepartmentLength = 100
	MaxEmailLength      = 254
	MaxAddressLength    = 2048
)

// Validate checks a contact's kind, region and that it can be reached.
func (c *Contact) Validate() error {
	if !slices.Contains(ContactKinds, c.Kind) {
		return Localized(EINVALID, "未知的联系人类型“%s”（可选：%s）", "unknown contact kind %q (known: %s)", MaskCell(c.Kind), strings.Join(ContactKinds, ", "))
	}
	if strings.TrimSpace(c.Name) == "" {
		return Localized(EINVALID, "联系人名称不能为空", "The contact needs a name.")
	}
	for _, f := range []struct {
		zh, en, v string
		max       int
	}{
		{"名称", "name", c.Name, MaxNameLength},
		{"单位", "department", c.Department, MaxDepartmentLength},
		{"电子邮箱", "email", c.Email, MaxEmailLength},
		{"地址", "address", c.Address, MaxAddressLength},
	} {
		if err := CheckLength(f.v, f.max); err != nil {
			n := utf8.RuneCountInString(f.v)
			return Localized(ETOOLARGE, "联系人的%[1]s过长：有%[3]d个字符，上限为%[4]d个", "The contact's %[2]s is too long: %[3]d characters, the limit is %[4]d.", f.zh, f.en, n, f.max)
		}
	}
	code, err := NormalizeRegionCode(c.Region)
	if err != nil {
		return err
	}
	c.Region = code
	if c.Phone != "" {
		p, err := ValidatePhone(c.Phone)
		if err != nil {
			return err
		}
		c.Phone = p
	}
	switch c.Kind {
	case ContactWeComGroup, ContactBroadcast:
		if c.Address == "" {
			return Localized(EINVALID, "企业微信群和农村应急广播须填写地址（机器人网址或广播终端组）", "A 企业微信 group or a loudspeaker contact needs an address (robot URL or terminal group).")
		}
	default:
		if c.Phone == "" && c.Email == "" {
			return Localized(EINVALID, "联系人需要手机号或电子邮箱", "The contact needs a phone or an e-mail address.")
		}
	}
	if c.Email != "" && (!strings.Contains(c.Email, "@") || strings.ContainsAny(c.Email, " \r\n<>")) {
		return Localized(EINVALID, "电子邮箱“%s”格式不对", "e-mail address %q is not valid", MaskCell(c.Email))
	}
	if len(c.Hazards) > len(Hazards) {
		return Localized(ETOOLARGE, "订阅的灾种最多%[1]d个，不能是%[2]d个", "At most %d hazards can be subscribed, not %d.", len(Hazards), len(c.Hazards))
	}
	for _, h := range c.Hazards {
		if _, ok := HazardOf(h); !ok {
			return Localized(EINVALID, "未知的灾种“%s”", "unknown hazard %q", MaskCell(string(h)))
		}
	}
	return nil
}

// Subscribed tells whether the contact wants warnings of a hazard.
func (c *Contact) Subscribed(h Hazard) bool {
	return len(c.Hazards) == 0 || slices.Contains(c.Hazards, h)
}

// ContactService stores contacts.
type ContactService interface {
	// FindContacts lists contacts of a kind ("" for all) within the
	// user's scope.
	FindContacts(ctx context.Context, kind string) ([]*Contact, error)
	// ContactsFor lists every contact of the regions given and of their
	// parents, unscoped, for building a release.
	ContactsFor(ctx context.Context, regions []string) ([]*Contact, error)
	// CreateContacts stores contacts inside the user's region, all or none.
	CreateContacts(ctx context.Context, cs ...*Contact) error
	DeleteContact(ctx context.Context, id int64) error
}

// String is for logs.
func (c *Contact) String() string { return fmt.Sprintf("%s %s (%s)", c.Kind, c.Name, c.Region) }

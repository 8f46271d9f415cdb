package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

//go:embed locale/*.json
var localeFS embed.FS

// Languages, zh-CN first: the users read Chinese; English is the switch.
const (
	LangZH = "zh-CN"
	LangEN = "en"
)

var langs = []string{LangZH, LangEN}

// catalog is a flat key → text map for one language.
type catalog map[string]string

func loadCatalogs() (map[string]catalog, error) {
	out := map[string]catalog{}
	for _, l := range langs {
		b, err := localeFS.ReadFile("locale/" + l + ".json")
		if err != nil {
			return nil, err
		}
		var c catalog
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("locale %s: %w", l, err)
		}
		out[l] = c
	}
	return out, nil
}

// translate returns the text of key, with args formatted in; a missing
// key shows itself so that it is noticed.
func (c catalog) translate(key string, args ...any) string {
	s, ok := c[key]
	if !ok {
		return "⟦" + key + "⟧"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// langOf reads the language cookie; Chinese unless English was chosen.
func langOf(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil && c.Value == LangEN {
		return LangEN
	}
	if c, err := r.Cookie("lang"); err != nil || c.Value == "" {
		// First visit: a browser that asks for English only gets English.
		al := r.Header.Get("Accept-Language")
		if al != "" && !strings.Contains(al, "zh") && strings.HasPrefix(al, "en") {
			return LangEN
		}
	}
	return LangZH
}

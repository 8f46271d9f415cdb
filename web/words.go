package web

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// durationText says a duration as people say it: 1小时12分, 45秒.
func durationText(cat catalog, d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return cat.translate("duration.seconds", int(d.Seconds()+0.5))
	case d < time.Hour:
		m := int(d / time.Minute)
		if s := int((d % time.Minute) / time.Second); s > 0 && m < 10 {
			return cat.translate("duration.minutes_seconds", m, s)
		}
		return cat.translate("duration.minutes", m)
	case d < 48*time.Hour:
		return cat.translate("duration.hours_minutes", int(d/time.Hour), int((d%time.Hour)/time.Minute))
	}
	return cat.translate("duration.days_hours", int(d/(24*time.Hour)), int((d%(24*time.Hour))/time.Hour))
}

// countdownText is the time left to a deadline, or how long it is past.
func countdownText(cat catalog, due, now time.Time) string {
	if now.Before(due) {
		return cat.translate("countdown.left", durationText(cat, due.Sub(now)))
	}
	return cat.translate("countdown.past", durationText(cat, now.Sub(due)))
}

// actorText names who did something in words: a person by name, the
// command line, a background job, a helper's link.
func actorText(cat catalog, name string) string {
	// Rows a migration seeded (policies, the calendar, templates).
	if name == "migration" || strings.HasPrefix(name, "migration ") {
		return cat.translate("actor.migration")
	}
	kind, rest, ok := strings.Cut(name, ":")
	if !ok {
		return name
	}
	switch kind {
	case "cli":
		return cat.translate("actor.cli", commandText(cat, rest))
	case "job":
		return cat.translate("actor.job", jobText(cat, rest))
	case "link":
		return cat.translate("actor.link", rest)
	}
	return name
}

func commandText(cat catalog, cmd string) string {
	if s, ok := cat["command."+cmd]; ok {
		return s
	}
	return cmd
}

func jobText(cat catalog, job string) string {
	if s, ok := cat["job."+job]; ok {
		return s
	}
	return job
}

// translateOr returns the catalog text of key, or fallback when there is
// none (values from data that a catalog may not list).
func (c catalog) translateOr(key, fallback string, args ...any) string {
	s, ok := c[key]
	if !ok {
		return fallback
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, "、")
}

// addrText is where a request came from: an address, or how it came
// when it came from no network (the command line, a job).
func addrText(cat catalog, addr string) string {
	switch addr {
	case "cli", "job", "link":
		return cat.translate("via." + addr)
	}
	return addr
}

var firstURL = regexp.MustCompile(`https?://[^\s）)]+`)

// sourceParts splits a text that ends with the web address of its source
// (a calendar year's notice) into the text and the address.
func sourceParts(s string) (string, string) {
	loc := firstURL.FindStringIndex(s)
	if loc == nil {
		return s, ""
	}
	return strings.TrimSpace(s[:loc[0]] + s[loc[1]:]), s[loc[0]:loc[1]]
}

// targetHost is the host a channel sends to, read from its description.
func targetHost(target string) string {
	if m := firstURL.FindString(target); m != "" {
		if u, err := url.Parse(m); err == nil {
			return u.Host
		}
	}
	return ""
}

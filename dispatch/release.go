package dispatch

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/channel"
)

// Request asks for a release.
type Request struct {
	Audiences []string `json:"audiences"`
	Channels  []string `json:"channels"`
	// Template is the text with placeholders; empty takes the stored
	// template for the hazard and level.
	Template   string `json:"template,omitempty"`
	TemplateID int64  `json:"template_id,omitempty"`
	Test       bool   `json:"test"`
	Hotline    string `json:"hotline,omitempty"`
}

// Preview is what a release would send, before it is made.
type Preview struct {
	WarningID  int64            `json:"warning_id"`
	SnapshotID int64            `json:"snapshot_id"`
	Text       string           `json:"text"`
	Segments   int              `json:"sms_segments"`
	Characters int              `json:"sms_characters"`
	Counts     []backstop.Count `json:"counts"`
	Messages   int              `json:"messages"`
	Tasks      int              `json:"tasks"`
	Deadline   time.Time        `json:"confirm_deadline"`
	Basis      string           `json:"basis"`
	Test       bool             `json:"test"`
	// Unconfigured lists requested channels with no gateway set up: their
	// messages would fail.
	Unconfigured []string `json:"unconfigured,omitempty"`
	// Unused lists requested channels that no chosen audience is reached
	// on; Empty those an audience uses but nobody could be reached on
	// (no address of that kind in the area).
	Unused []string `json:"unused_channels,omitempty"`
	Empty  []string `json:"empty_channels,omitempty"`
	// Samples are the texts that would go out, one per audience and
	// channel (the first recipient's: a helper's names the helper's
	// households, and its link is made when it is sent).
	Samples []Sample `json:"samples"`
}

// Sample is a text a release would send to an audience on a channel.
type Sample struct {
	Audience string `json:"audience"`
	Channel  string `json:"channel"`
	Text     string `json:"text"`
}

// plan is a checked request with what building it needs.
type plan struct {
	warning  *backstop.Warning
	snapshot int64
	// region is the region the release speaks to: its clock's and audit
	// row's, so that the officers and auditors there see them.
	region   string
	req      Request
	text     string
	template int64
	basis    string
	deadline time.Time
	// linksExpire is when the helpers' links stop working.
	linksExpire time.Time
	// minutes is the confirmation limit and its policy version.
	minutes   float64
	minutesID int64
	policies  []int64
	contacts  []*backstop.Contact
	audiences map[string]bool
	channels  map[string]bool
	// seq counts the messages built of each dispatch class.
	seq [2]int
}

// householdBatches is where the batches of the households audience begin:
// batches go out in number order, so that key-group persons, their
// helpers, villages and officers are sent to before everyone else.
const householdBatches = 1 << 20

// prepare checks the request against the warning's state, the
// consultation rule and the exposure, and renders the public text.
func (s *Service) prepare(ctx context.Context, warningID int64, req Request) (*plan, error) {
	s.defaults()
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermRelease); err != nil {
		return nil, err
	}
	var probs []backstop.Problem
	if len(req.Audiences) == 0 {
		probs = append(probs, backstop.Problem{Path: "audiences", Reason: "name at least one audience", ReasonZH: "请至少选择一类发布对象"})
	}
	for _, a := range req.Audiences {
		if !slices.Contains(backstop.Audiences, a) {
			probs = append(probs, backstop.Problem{Path: "audiences", Reason: fmt.Sprintf("unknown audience %q (known: %s)", a, strings.Join(backstop.Audiences, ", ")), ReasonZH: "未知的发布对象“" + a + "”"})
		}
	}
	if len(req.Channels) == 0 {
		probs = append(probs, backstop.Problem{Path: "channels", Reason: "name at least one channel", ReasonZH: "请至少选择一种发布渠道"})
	}
	for _, c := range req.Channels {
		if !slices.Contains(backstop.Channels, c) {
			probs = append(probs, backstop.Problem{Path: "channels", Reason: fmt.Sprintf("unknown channel %q (known: %s)", c, strings.Join(backstop.Channels, ", ")), ReasonZH: "未知的发布渠道“" + c + "”"})
		}
	}
	if len(probs) > 0 {
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: "The release request is wrong: " + probs[0].String(), ZH: "发布请求有误：" + probs[0].ReasonZH, Details: probs}
	}
	w, err := s.Store.FindWarning(ctx, warningID)
	if err != nil {
		return nil, err
	}
	// Warnings are public, a release is not: it speaks to the user's
	// region, so the warning must cover part of it (or lie inside it).
	if !backstop.RegionsOverlap(w.Region, u.Region) {
		return nil, backstop.Localized(backstop.EFORBIDDEN, "预警%d的区域（区划%s）与您的管辖范围（%s）不相交：不能在此发布",
			"Warning %d covers region %s, which does not meet your region %s: you cannot release it.", w.ID, w.Region, u.Region)
	}
	switch st := w.CurrentState(s.now()); {
	case w.MsgType == "Cancel" || st == backstop.StateCancelled:
		return nil, backstop.Localized(backstop.ECONFLICT, "预警（%d）已解除，不能发布", "Warning %d is cancelled: nothing to release.", w.ID)
	case st == backstop.StateUpdated:
		return nil, backstop.Localized(backstop.ECONFLICT, "预警（%d）已被更新为预警%d，请发布最新的预警", "Warning %d was superseded by warning %d: release that one.", w.ID, w.SupersededBy)
	case st == backstop.StateExpired:
		return nil, backstop.Localized(backstop.ECONFLICT, "预警（%d）已过期，不能发布", "Warning %d has expired.", w.ID)
	}
	if w.Exercise() && !req.Test {
		return nil, backstop.Localized(backstop.EINVALID, "这是一条%s状态的预警，只能以测试方式发布（test: true）", "The warning has status %s: it can be released as a test only (\"test\": true).", backstop.Term(backstop.TermWarningStatus, w.Status))
	}
	p := &plan{warning: w, req: req, audiences: map[string]bool{}, channels: map[string]bool{}}
	for _, a := range req.Audiences {
		p.audiences[a] = true
	}
	for _, c := range req.Channels {
		p.channels[c] = true
	}
	cs, err := s.Store.FindConsultations(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	allowed, basis := backstop.ReleaseAllowed(w, cs)
	if !allowed && !req.Test {
		return nil, &backstop.Error{Code: backstop.EFORBIDDEN, Message: "A yellow or blue warning needs an approved consultation that decided to release.", ZH: "黄色、蓝色预警须经会商研判并批准发布后才能定向发布"}
	}
	p.basis = basis
	if !allowed {
		p.basis = backstop.BasisTest
	}
	e, err := s.Store.FindExposure(ctx, w.ID)
	if backstop.ErrorCode(err) == backstop.ENOTFOUND && s.Exposer != nil {
		if _, err = s.Exposer.Compute(ctx, w); err == nil {
			e, err = s.Store.FindExposure(ctx, w.ID)
		}
	}
	if err != nil {
		return nil, err
	}
	p.snapshot = e.SnapshotID
	p.region = releaseRegion(u, e)
	var villages []string
	for _, v := range e.ByVillage {
		villages = append(villages, v.Code)
	}
	if p.contacts, err = s.Store.ContactsFor(ctx, villages); err != nil {
		return nil, err
	}
	text := req.Template
	switch {
	case text == "" && req.TemplateID != 0:
		t, err := s.Store.FindTemplate(ctx, req.TemplateID)
		if err != nil {
			return nil, err
		}
		text, p.template = t.Text, t.ID
	case text == "":
		t, err := s.Store.TemplateFor(ctx, p.region, w.Hazard, w.Level)
		if err != nil {
			return nil, err
		}
		text, p.template = t.Text, t.ID
	}
	if err := backstop.ValidateTemplate(text); err != nil {
		return nil, err
	}
	p.text = backstop.RenderTemplate(text, s.fields(w, req, e))
	if req.Test {
		p.text = "【测试】" + p.text
	}
	now := s.now()
	level := w.Level
	if level == "" {
		level = backstop.WarningBlue // a warning of no stated level gets the longest time
	}
	confirm, err := s.Store.PolicyAt(ctx, backstop.PolicyConfirmMinutes+string(level), u.Region, now)
	if err != nil {
		return nil, policyMissing(err, backstop.PolicyConfirmMinutes+string(level))
	}
	hours, err := s.Store.PolicyAt(ctx, backstop.PolicyLinkValidHours, u.Region, now)
	if err != nil {
		return nil, policyMissing(err, backstop.PolicyLinkValidHours)
	}
	p.minutes, p.minutesID = confirm.Value, confirm.ID
	p.policies = append(p.policies, confirm.ID, hours.ID)
	p.deadline = now.Add(time.Duration(confirm.Value * float64(time.Minute)))
	if w.Onset != nil && w.Onset.After(now) && w.Onset.Before(p.deadline) {
		p.deadline = *w.Onset
	}
	p.linksExpire = p.deadline.Add(time.Duration(hours.Value * float64(time.Hour)))
	return p, nil
}

// policyMissing says which policy row a decision needed and did not find:
// never a silent default.
func policyMissing(err error, key string) error {
	if backstop.ErrorCode(err) == backstop.ENOTFOUND {
		return backstop.Localized(backstop.EUNAVAILABLE, "缺少政策参数“%s”：请管理员在政策参数中设置", "The policy %s is not set: an admin must add a version.", key)
	}
	return err
}

// fields are the template's values for a warning.
func (s *Service) fields(w *backstop.Warning, req Request, e *backstop.Exposure) backstop.TemplateFields {
	hazard := string(w.Hazard)
	if h, ok := backstop.HazardOf(w.Hazard); ok {
		hazard = h.ZH
	}
	var areas []string
	for _, a := range w.Areas {
		if a.Desc != "" && !slices.Contains(areas, a.Desc) {
			areas = append(areas, a.Desc)
		}
	}
	if len(areas) == 0 {
		for i, c := range e.ByCounty {
			if i == 3 {
				break
			}
			areas = append(areas, c.Name)
		}
	}
	area := strings.Join(areas, "、")
	if n := []rune(area); len(n) > 40 {
		area = string(n[:40]) + "等地"
	}
	from := w.Sent
	if w.Onset != nil {
		from = *w.Onset
	} else if w.Effective != nil {
		from = *w.Effective
	}
	window := from.In(backstop.Beijing).Format("01-02 15:04") + "起"
	if w.Expires != nil {
		window = from.In(backstop.Beijing).Format("01-02 15:04") + "至" + w.Expires.In(backstop.Beijing).Format("01-02 15:04")
	}
	action := strings.TrimSpace(w.Instruction)
	if n := []rune(action); len(n) > 60 {
		action = string(n[:60]) + "…"
	}
	if action != "" && !strings.HasSuffix(action, "。") && !strings.HasSuffix(action, "…") {
		action += "。"
	}
	hotline := req.Hotline
	if hotline == "" {
		hotline = s.Hotline
	}
	sender := s.SenderName
	if w.SenderName != "" && w.Source != "form" && w.Source != "json" {
		sender = w.SenderName
	}
	return backstop.TemplateFields{"hazard": hazard, "level": backstop.LevelText(w.Level), "area": area, "time": window, "action": action, "hotline": hotline, "sender": sender}
}

// keyPersons are the members of a household who count as key-group
// persons: everyone when the household is in a household-level group,
// else the members with a disability.
func keyPersons(r *backstop.ExposedRecipient) []backstop.RecipientMember {
	household := backstop.GroupTekun | backstop.GroupElderlyAlone | backstop.GroupMonitored | backstop.GroupDibao | backstop.GroupFormerlyPoor
	if r.Groups&household != 0 {
		return r.Members
	}
	var out []backstop.RecipientMember
	if r.Groups&backstop.GroupDisability != 0 {
		for _, m := range r.Members {
			if m.Disabled {
				out = append(out, m)
			}
		}
	}
	return out
}

// sink receives what a release consists of; preview counts, create
// writes.
type sink interface {
	message(m *backstop.Message, text string) error
	task(t *backstop.FieldTask) error
	flush() error
}

// assignee is a helper or cadre who confirms key-group persons.
type assignee struct {
	name, phone, village string
	households, persons  int
}

// build walks the exposure and emits messages and tasks by the audience
// rules, each address messaged once per channel; an address that is both
// a key-group person's and a household's is messaged as the key group.
func (s *Service) build(ctx context.Context, p *plan, out sink) (map[[2]string]int, error) {
	counts := map[[2]string]int{}
	seen := map[string]bool{}
	status := backstop.MessagePending
	if p.req.Test {
		status = backstop.MessageSimulated
	}
	now := s.now()
	emit := func(audience, ch, address, name string, household int64, village, text string) error {
		if !p.audiences[audience] || !p.channels[ch] || address == "" {
			return nil
		}
		k := ch + "\x00" + address
		if seen[k] {
			return nil
		}
		seen[k] = true
		counts[[2]string{audience, ch}]++
		class := 0
		if audience == backstop.AudienceHouseholds {
			class = 1
		}
		m := &backstop.Message{Batch: class*householdBatches + p.seq[class]/s.BatchSize, Channel: ch, Audience: audience, Address: address, Name: name,
			HouseholdID: household, VillageCode: village, Status: status, NextAt: now}
		p.seq[class]++
		return out.message(m, text)
	}
	cadres := map[string]*backstop.Contact{}    // village → first cadre
	terminals := map[string]*backstop.Contact{} // village → loudspeaker group
	for _, c := range p.contacts {
		switch c.Kind {
		case backstop.ContactVillageCadre:
			if cadres[c.Region] == nil && c.Phone != "" {
				cadres[c.Region] = c
			}
		case backstop.ContactBroadcast:
			if terminals[c.Region] == nil {
				terminals[c.Region] = c
			}
		}
	}
	assignees := map[string]*assignee{}
	var assigneeOrder []string
	villages := map[string]bool{}
	var villageOrder []string
	// One pass over the exposed households, in storage order; batch
	// numbers, not this order, decide who is sent to first.
	err := s.Store.ScanExposedRecipients(ctx, p.snapshot, func(r *backstop.ExposedRecipient) error {
		if !villages[r.VillageCode] {
			villages[r.VillageCode] = true
			villageOrder = append(villageOrder, r.VillageCode)
		}
		persons := keyPersons(r)
		if len(persons) > 0 {
			if err := emit(backstop.AudienceKeyGroups, backstop.ChannelSMS, r.Phone, r.HeadName, r.HouseholdID, r.VillageCode, p.text); err != nil {
				return err
			}
			for _, m := range persons {
				if err := emit(backstop.AudienceKeyGroups, backstop.ChannelSMS, m.Phone, m.Name, r.HouseholdID, r.VillageCode, p.text); err != nil {
					return err
				}
			}
			// Whoever confirms: the helper, else a village cadre, else the
			// village committee (seen by the village's users).
			a := &assignee{name: r.HelperName, phone: r.HelperPhone, village: r.VillageCode}
			if a.phone == "" {
				if c := cadres[r.VillageCode]; c != nil {
					a.name, a.phone = c.Name, c.Phone
				} else {
					a.name = "村委会"
				}
			}
			if a.phone != "" {
				if have := assignees[a.phone]; have != nil {
					a = have
				} else {
					assignees[a.phone] = a
					assigneeOrder = append(assigneeOrder, a.phone)
				}
			}
			a.households++
			a.persons += len(persons)
			groups := (r.Groups & backstop.KeyGroups).Names()
			for _, m := range persons {
				phone := m.Phone
				if phone == "" {
					phone = r.Phone
				}
				t := &backstop.FieldTask{Kind: backstop.TaskConfirm, HouseholdID: r.HouseholdID, HouseholdNumber: r.Number, MemberID: m.ID, PersonName: m.Name, Phone: phone, Groups: groups,
					VillageCode: r.VillageCode, Assignee: a.name, AssigneePhone: a.phone, Due: p.deadline}
				if err := out.task(t); err != nil {
					return err
				}
			}
		}
		return emit(backstop.AudienceHouseholds, backstop.ChannelSMS, r.Phone, r.HeadName, r.HouseholdID, r.VillageCode, p.text)
	})
	if err != nil {
		return nil, err
	}
	// Helpers and cadres: how many to confirm, by when, and their link.
	if p.audiences[backstop.AudienceHelpers] && p.channels[backstop.ChannelSMS] {
		hazard := p.warning.Event
		if h, ok := backstop.HazardOf(p.warning.Hazard); ok {
			hazard = h.ZH
		}
		for _, phone := range assigneeOrder {
			a := assignees[phone]
			// The link is made when the message is sent: only its hash is
			// ever stored.
			text := fmt.Sprintf("%s您好：您联系的%d户%d名重点人群在%s%s预警区域内，请立即电话或上门告知，并于%s前逐人确认：%s",
				a.name, a.households, a.persons, hazard, backstop.LevelText(p.warning.Level), p.deadline.In(backstop.Beijing).Format("01-02 15:04"), s.linkURL(backstop.LinkPlaceholder))
			if p.req.Test {
				text = "【测试】" + text
			}
			if err := emit(backstop.AudienceHelpers, backstop.ChannelSMS, phone, a.name, 0, a.village, text); err != nil {
				return nil, err
			}
		}
	}
	// Villages: the loudspeaker and the cadres.
	for _, v := range villageOrder {
		terminal := v
		if c := terminals[v]; c != nil {
			terminal = c.Address
		}
		if err := emit(backstop.AudienceVillages, backstop.ChannelBroadcast, terminal, "", 0, v, p.text); err != nil {
			return nil, err
		}
	}
	regions := map[string]bool{}
	for _, v := range villageOrder {
		for c := v; c != ""; c = backstop.ParentCodeOf(c) {
			regions[c] = true
		}
	}
	summary := s.summary(p, counts, len(villageOrder))
	for _, c := range p.contacts {
		if !regions[c.Region] && c.Region != backstop.NationalScope {
			continue
		}
		switch c.Kind {
		case backstop.ContactVillageCadre:
			if err := emit(backstop.AudienceVillages, backstop.ChannelSMS, c.Phone, c.Name, 0, c.Region, p.text); err != nil {
				return nil, err
			}
		case backstop.ContactDutyOfficer:
			if backstop.LevelOfCode(c.Region) == backstop.LevelVillage {
				continue
			}
			for _, x := range [][2]string{{backstop.ChannelSMS, c.Phone}, {backstop.ChannelEmail, c.Email}} {
				if err := emit(backstop.AudienceOfficers, x[0], x[1], c.Name, 0, c.Region, summary); err != nil {
					return nil, err
				}
			}
		case backstop.ContactWeComGroup:
			if err := emit(backstop.AudienceOfficers, backstop.ChannelWeCom, c.Address, c.Name, 0, c.Region, summary); err != nil {
				return nil, err
			}
		case backstop.ContactDepartment, backstop.ContactInfoOfficer:
			if !c.Subscribed(p.warning.Hazard) {
				continue
			}
			for _, x := range [][2]string{{backstop.ChannelSMS, c.Phone}, {backstop.ChannelEmail, c.Email}} {
				if err := emit(backstop.AudienceSubscribers, x[0], x[1], c.Name, 0, c.Region, p.text); err != nil {
					return nil, err
				}
			}
		}
	}
	// The city duty group's robot, when one is configured.
	if _, ok := s.Senders[backstop.ChannelWeCom]; ok {
		if err := emit(backstop.AudienceOfficers, backstop.ChannelWeCom, channel.DefaultRobot, "", 0, "", summary); err != nil {
			return nil, err
		}
	}
	return counts, out.flush()
}

// summary is the text duty officers and groups get.
func (s *Service) summary(p *plan, counts map[[2]string]int, villages int) string {
	w := p.warning
	hazard := w.Event
	if h, ok := backstop.HazardOf(w.Hazard); ok {
		hazard = h.ZH
	}
	persons := counts[[2]string{backstop.AudienceKeyGroups, backstop.ChannelSMS}]
	households := counts[[2]string{backstop.AudienceHouseholds, backstop.ChannelSMS}]
	text := fmt.Sprintf("**%s%s预警定向发布**\n%s\n涉及%d个村；短信：重点人群%d条、农户%d条。重点人群须于%s前逐人确认，逾期未确认将通报乡镇、县区。",
		hazard, backstop.LevelText(w.Level), w.Headline, villages, persons, households, p.deadline.In(backstop.Beijing).Format("01-02 15:04"))
	if p.req.Test {
		text = "【测试】" + text
	}
	return text
}

func (s *Service) linkURL(token string) string {
	return strings.TrimRight(s.BaseURL, "/") + "/c/" + token
}

// countSink counts what a release would write, keeping the first text of
// each audience and channel.
type countSink struct {
	messages, tasks int
	samples         []Sample
	seen            map[[2]string]bool
}

func (c *countSink) message(m *backstop.Message, text string) error {
	c.messages++
	k := [2]string{m.Audience, m.Channel}
	if !c.seen[k] {
		if c.seen == nil {
			c.seen = map[[2]string]bool{}
		}
		c.seen[k] = true
		c.samples = append(c.samples, Sample{Audience: m.Audience, Channel: m.Channel, Text: text})
	}
	return nil
}
func (c *countSink) task(*backstop.FieldTask) error { c.tasks++; return nil }
func (c *countSink) flush() error                   { return nil }

func sortedCounts(m map[[2]string]int) []backstop.Count {
	out := []backstop.Count{}
	for k, n := range m {
		out = append(out, backstop.Count{Audience: k[0], Channel: k[1], N: n})
	}
	order := func(a string) int {
		for i, x := range backstop.Audiences {
			if x == a {
				return i
			}
		}
		return len(backstop.Audiences)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Audience != out[j].Audience {
			return order(out[i].Audience) < order(out[j].Audience)
		}
		return out[i].Channel < out[j].Channel
	})
	return out
}

// Preview counts what a release would send, per audience and channel.
func (s *Service) Preview(ctx context.Context, warningID int64, req Request) (*Preview, error) {
	p, err := s.prepare(ctx, warningID, req)
	if err != nil {
		return nil, err
	}
	c := &countSink{}
	counts, err := s.build(ctx, p, c)
	if err != nil {
		return nil, err
	}
	pv := &Preview{WarningID: warningID, SnapshotID: p.snapshot, Text: p.text, Counts: sortedCounts(counts), Messages: c.messages, Tasks: c.tasks,
		Deadline: p.deadline, Basis: p.basis, Test: req.Test, Samples: c.samples}
	signed := p.text
	if s.SignName != "" {
		signed = "【" + s.SignName + "】" + signed
	}
	pv.Segments, pv.Characters = backstop.SMSSegments(signed), len([]rune(signed))
	pv.Unused = backstop.UnusedChannels(req.Audiences, req.Channels)
	for _, ch := range req.Channels {
		if _, ok := s.Senders[ch]; !ok && !req.Test {
			pv.Unconfigured = append(pv.Unconfigured, ch)
		}
		n := 0
		for k, v := range counts {
			if k[1] == ch {
				n += v
			}
		}
		if n == 0 && !slices.Contains(pv.Unused, ch) {
			pv.Empty = append(pv.Empty, ch)
		}
	}
	return pv, nil
}

// writeSink writes a release through the store's writer in chunks, on a
// goroutine of its own: reading the registry and writing the outbox
// overlap, on two connections.
type writeSink struct {
	ctx   context.Context
	w     backstop.ReleaseWriter
	texts map[string]int64
	msgs  []*backstop.Message
	tasks []*backstop.FieldTask
	n     int
	jobs  chan func() error
	done  chan error
	// failed is set by the writer when a write fails: building stops.
	failed   atomic.Bool
	finished bool
	err      error
}

func newWriteSink(ctx context.Context, w backstop.ReleaseWriter) *writeSink {
	ws := &writeSink{ctx: ctx, w: w, texts: map[string]int64{}, jobs: make(chan func() error, 4), done: make(chan error, 1)}
	go func() {
		var first error
		for job := range ws.jobs {
			if first == nil {
				if first = job(); first != nil {
					ws.failed.Store(true)
				}
			}
		}
		ws.done <- first
	}()
	return ws
}

// chunk is how many rows go to the store at once.
const chunk = 5000

var errWriteFailed = fmt.Errorf("the release writer stopped")

func (ws *writeSink) message(m *backstop.Message, text string) error {
	if ws.failed.Load() {
		return errWriteFailed
	}
	key := m.Channel + "\x00" + text
	id, ok := ws.texts[key]
	if !ok {
		var err error
		if id, err = ws.w.AddText(ws.ctx, m.Channel, text); err != nil {
			return err
		}
		ws.texts[key] = id
	}
	m.TextID = id
	ws.msgs = append(ws.msgs, m)
	ws.n++
	if len(ws.msgs) >= chunk {
		ws.flushMessages()
	}
	return nil
}

func (ws *writeSink) flushMessages() {
	if len(ws.msgs) > 0 {
		ms := ws.msgs
		ws.msgs = make([]*backstop.Message, 0, chunk)
		ws.jobs <- func() error { return ws.w.AddMessages(ws.ctx, ms) }
	}
}

func (ws *writeSink) flushTasks() {
	if len(ws.tasks) > 0 {
		ts := ws.tasks
		ws.tasks = make([]*backstop.FieldTask, 0, chunk)
		ws.jobs <- func() error { return ws.w.AddTasks(ws.ctx, ts) }
	}
}

func (ws *writeSink) task(t *backstop.FieldTask) error {
	ws.tasks = append(ws.tasks, t)
	if len(ws.tasks) >= chunk {
		ws.flushTasks()
	}
	return nil
}

// flush writes what is left and waits for the writer.
func (ws *writeSink) flush() error {
	ws.flushMessages()
	ws.flushTasks()
	return ws.finish()
}

// finish stops the writer and returns its first error.
func (ws *writeSink) finish() error {
	if !ws.finished {
		ws.finished = true
		close(ws.jobs)
		ws.err = <-ws.done
	}
	return ws.err
}

// Create makes a release: recipients, texts, the outbox and the
// confirmation tasks in one transaction; then its batches go to the
// queue (a sweep finds them should this process die first).
func (s *Service) Create(ctx context.Context, warningID int64, req Request) (*backstop.Release, error) {
	p, err := s.prepare(ctx, warningID, req)
	if err != nil {
		return nil, err
	}
	r := &backstop.Release{WarningID: warningID, SnapshotID: p.snapshot, Audiences: req.Audiences, Channels: req.Channels, TemplateID: p.template, Text: p.text,
		Test: req.Test, Basis: p.basis, Deadline: p.deadline, PolicyIDs: p.policies, CreatedAt: s.now()}
	if req.Test {
		r.State = backstop.StreamDone
	}
	now := s.now()
	clock := &backstop.Clock{Kind: backstop.ClockReleaseConfirm, Region: p.region, StartedAt: now, LimitValue: p.minutes, LimitUnit: backstop.UnitMinutes,
		PolicyID: p.minutesID, Due: p.deadline}
	var total int
	err = s.Store.CreateRelease(ctx, r, p.linksExpire, clock, func(w backstop.ReleaseWriter) error {
		ws := newWriteSink(ctx, w)
		counts, err := s.build(ctx, p, ws)
		if err != nil {
			// Stop the writer; the transaction rolls back. A write's own
			// error says more than the stop it caused.
			if werr := ws.finish(); werr != nil && err == errWriteFailed {
				err = werr
			}
			return err
		}
		r.Counts, total = sortedCounts(counts), ws.n
		r.Unused = backstop.UnusedChannels(req.Audiences, req.Channels)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.logger().Info("release made", "release", r.ID, "warning", warningID, "messages", total, "test", req.Test)
	if !req.Test {
		s.kick(ctx, r.StreamID, p.seq)
	}
	if s.Released != nil {
		s.Released(ctx, r)
	}
	return r, nil
}

// kick hands a new release's batches to the queue at once.
func (s *Service) kick(ctx context.Context, streamID int64, seq [2]int) {
	var batches []backstop.OutboxBatch
	for class, n := range seq {
		for i := 0; i < (n+s.BatchSize-1)/s.BatchSize; i++ {
			batches = append(batches, backstop.OutboxBatch{StreamID: streamID, Batch: class*householdBatches + i})
		}
	}
	if s.Enqueue == nil {
		return
	}
	if err := s.Enqueue(context.WithoutCancel(ctx), batches); err != nil {
		// The sweep enqueues them on its next round.
		s.logger().Warn("enqueue release batches", "stream", streamID, "err", err)
	}
}

// Fields are a warning's template values, for previews.
func (s *Service) Fields(ctx context.Context, warningID int64) (backstop.TemplateFields, error) {
	s.defaults()
	w, err := s.Store.FindWarning(ctx, warningID)
	if err != nil {
		return nil, err
	}
	e, err := s.Store.FindExposure(ctx, warningID)
	if err != nil {
		e = &backstop.Exposure{}
	}
	return s.fields(w, Request{}, e), nil
}

// Package dispatch makes targeted releases of warnings and delivers them:
// it turns a warning's exposure into recipients by audience rules,
// writes the release with its outbox and confirmation tasks in one
// transaction, sends the outbox in leased batches over the channels with
// retries and fallbacks, applies delivery receipts, and escalates key-group
// persons nobody confirmed in time.
package dispatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/channel"
)

// Exposer computes a warning's exposure when none is stored.
type Exposer interface {
	Compute(ctx context.Context, w *backstop.Warning) (*backstop.ExposureSnapshot, error)
}

// Service makes and sends releases.
type Service struct {
	Store   backstop.Store
	Exposer Exposer
	Senders map[string]channel.Sender
	Logger  *slog.Logger
	Now     func() time.Time

	// Owner names this process in batch leases.
	Owner string
	// SenderName fills {sender}; Hotline fills {hotline} unless a request
	// gives one; SignName is the SMS signature counted in previews.
	SenderName, Hotline, SignName string
	// BaseURL is where confirmation links point (e.g. https://backstop.example).
	BaseURL string
	// BatchSize messages make a dispatch batch; Concurrency of them are
	// sent at once; MaxAttempts before a message fails for good.
	BatchSize, Concurrency, MaxAttempts int
	// Lease is how long a worker holds a batch; a batch run stops taking
	// new messages after half of it.
	Lease time.Duration
	// Enqueue hands due batches to the job queue; nil sends them in the
	// caller (tests, the CLI).
	Enqueue func(ctx context.Context, batches []backstop.DispatchBatch) error

	setup sync.Once
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// defaults fills what the configuration left zero, once: workers call it
// from many goroutines.
func (s *Service) defaults() { s.setup.Do(s.fill) }

func (s *Service) fill() {
	if s.BatchSize <= 0 {
		s.BatchSize = 500
	}
	if s.Concurrency <= 0 {
		s.Concurrency = 32
	}
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 5
	}
	if s.Lease <= 0 {
		s.Lease = 30 * time.Second
	}
	if s.Owner == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		s.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if s.SenderName == "" {
		s.SenderName = "张掖市预警信息发布中心"
	}
	if s.Hotline == "" {
		s.Hotline = "12345"
	}
}

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
}

// plan is a checked request with what building it needs.
type plan struct {
	warning   *backstop.Warning
	snapshot  int64
	req       Request
	text      string
	template  int64
	basis     string
	deadline  time.Time
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
	switch st := w.CurrentState(s.now()); {
	case w.MsgType == "Cancel" || st == backstop.StateCancelled:
		return nil, backstop.Localized(backstop.ECONFLICT, "预警（%d）已解除，不能发布", "Warning %d is cancelled: nothing to release.", w.ID)
	case st == backstop.StateUpdated:
		return nil, backstop.Localized(backstop.ECONFLICT, "预警（%d）已被更新为预警%d，请发布最新的预警", "Warning %d was superseded by warning %d: release that one.", w.ID, w.SupersededBy)
	case st == backstop.StateExpired:
		return nil, backstop.Localized(backstop.ECONFLICT, "预警（%d）已过期，不能发布", "Warning %d has expired.", w.ID)
	}
	if w.Exercise() && !req.Test {
		return nil, backstop.Localized(backstop.EINVALID, "这是一条%s状态的预警，只能以测试方式发布（test: true）", "The warning has status %s: it can be released as a test only (\"test\": true).", w.Status)
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
		t, err := s.Store.TemplateFor(ctx, w.Hazard, w.Level)
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
	minutes := 60.0
	if pol, err := s.Store.PolicyAt(ctx, "release.confirm_minutes."+w.Level, backstop.NationalScope, now); err == nil {
		minutes = pol.Value
		p.policies = append(p.policies, pol.ID)
	} else if backstop.ErrorCode(err) != backstop.ENOTFOUND {
		return nil, err
	}
	p.deadline = now.Add(time.Duration(minutes * float64(time.Minute)))
	if w.Onset != nil && w.Onset.After(now) && w.Onset.Before(p.deadline) {
		p.deadline = *w.Onset
	}
	return p, nil
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
	task(t *backstop.ConfirmationTask) error
	link(phone string) (string, error)
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
				t := &backstop.ConfirmationTask{HouseholdID: r.HouseholdID, HouseholdNumber: r.Number, MemberID: m.ID, PersonName: m.Name, Phone: phone, Groups: groups,
					VillageCode: r.VillageCode, Assignee: a.name, AssigneePhone: a.phone, Deadline: p.deadline}
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
			token, err := out.link(phone)
			if err != nil {
				return nil, err
			}
			text := fmt.Sprintf("%s您好：您联系的%d户%d名重点人群在%s%s预警区域内，请立即电话或上门告知，并于%s前逐人确认：%s",
				a.name, a.households, a.persons, hazard, backstop.LevelText(p.warning.Level), p.deadline.In(backstop.Beijing).Format("01-02 15:04"), s.linkURL(token))
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

// countSink counts what a release would write.
type countSink struct{ messages, tasks int }

func (c *countSink) message(*backstop.Message, string) error { c.messages++; return nil }
func (c *countSink) task(*backstop.ConfirmationTask) error   { c.tasks++; return nil }
func (c *countSink) link(string) (string, error)             { return "preview", nil }
func (c *countSink) flush() error                            { return nil }

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
		Deadline: p.deadline, Basis: p.basis, Test: req.Test}
	signed := p.text
	if s.SignName != "" {
		signed = "【" + s.SignName + "】" + signed
	}
	pv.Segments, pv.Characters = backstop.SMSSegments(signed), len([]rune(signed))
	for _, ch := range req.Channels {
		if _, ok := s.Senders[ch]; !ok && !req.Test {
			pv.Unconfigured = append(pv.Unconfigured, ch)
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
	tasks []*backstop.ConfirmationTask
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
		ws.tasks = make([]*backstop.ConfirmationTask, 0, chunk)
		ws.jobs <- func() error { return ws.w.AddTasks(ws.ctx, ts) }
	}
}

func (ws *writeSink) task(t *backstop.ConfirmationTask) error {
	ws.tasks = append(ws.tasks, t)
	if len(ws.tasks) >= chunk {
		ws.flushTasks()
	}
	return nil
}

func (ws *writeSink) link(phone string) (string, error) { return ws.w.AddLink(ws.ctx, phone) }

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
		r.State = backstop.ReleaseDone
	}
	var total int
	err = s.Store.CreateRelease(ctx, r, func(w backstop.ReleaseWriter) error {
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
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.logger().Info("release made", "release", r.ID, "warning", warningID, "messages", total, "test", req.Test)
	if !req.Test {
		s.kick(ctx, r.ID, p.seq)
	}
	return r, nil
}

// kick hands a new release's batches to the queue at once.
func (s *Service) kick(ctx context.Context, releaseID int64, seq [2]int) {
	var batches []backstop.DispatchBatch
	for class, n := range seq {
		for i := 0; i < (n+s.BatchSize-1)/s.BatchSize; i++ {
			batches = append(batches, backstop.DispatchBatch{ReleaseID: releaseID, Batch: class*householdBatches + i})
		}
	}
	if s.Enqueue == nil {
		return
	}
	if err := s.Enqueue(context.WithoutCancel(ctx), batches); err != nil {
		// The sweep enqueues them on its next round.
		s.logger().Warn("enqueue release batches", "release", releaseID, "err", err)
	}
}

// backoff is the wait before attempt n+1: 2 s, 4 s, 8 s … up to 5 minutes.
func backoff(attempts int) time.Duration {
	return min(5*time.Minute, time.Duration(1<<min(attempts, 10))*time.Second)
}

// SendBatch sends a batch's due messages if this process can lease it.
func (s *Service) SendBatch(ctx context.Context, b backstop.DispatchBatch) error {
	s.defaults()
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("dispatch"))
	start := s.now()
	msgs, err := s.Store.LeaseBatch(ctx, b, s.Owner, start, start.Add(s.Lease))
	if backstop.ErrorCode(err) == backstop.ECONFLICT {
		return nil
	} else if err != nil {
		return err
	}
	stopAt := time.Now().Add(s.Lease / 2)
	results := make([]backstop.MessageResult, len(msgs))
	done := make([]bool, len(msgs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(s.Concurrency, len(msgs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i], done[i] = s.send(ctx, msgs[i]), true
			}
		}()
	}
	for i := range msgs {
		if ctx.Err() != nil || time.Now().After(stopAt) {
			break // the rest stay due for the next run
		}
		next <- i
	}
	close(next)
	wg.Wait()
	var finished []backstop.MessageResult
	var failed []*backstop.Message
	for i, ok := range done {
		if !ok || ctx.Err() != nil && results[i].Status == backstop.MessagePending {
			continue
		}
		finished = append(finished, results[i])
		if results[i].Status == backstop.MessageFailed {
			failed = append(failed, msgs[i])
		}
	}
	if err := s.Store.FinishBatch(context.WithoutCancel(ctx), b, s.Owner, finished); err != nil {
		return err
	}
	s.fallback(ctx, failed)
	return nil
}

// send delivers one message and says what became of it.
func (s *Service) send(ctx context.Context, m *backstop.Message) backstop.MessageResult {
	res := backstop.MessageResult{ID: m.ID, Channel: m.Channel, Audience: m.Audience}
	sender, ok := s.Senders[m.Channel]
	if !ok {
		res.Status, res.Error, res.At = backstop.MessageFailed, "channel "+m.Channel+" is not configured", s.now()
		return res
	}
	out, err := sender.Send(ctx, m)
	res.At = s.now()
	switch {
	case err == nil && out.Delivered:
		res.Status, res.GatewayID = backstop.MessageDelivered, out.GatewayID
	case err == nil:
		res.Status, res.GatewayID = backstop.MessageSent, out.GatewayID
	case channel.IsTemporary(err) && m.Attempts+1 < s.MaxAttempts:
		res.Status, res.Error, res.NextAt = backstop.MessagePending, err.Error(), res.At.Add(backoff(m.Attempts+1))
	default:
		res.Status, res.Error = backstop.MessageFailed, err.Error()
		if channel.IsTemporary(err) {
			res.Error = fmt.Sprintf("gave up after %d attempts: %v", m.Attempts+1, err)
		}
	}
	return res
}

// fallback tries the next way to reach the people whose SMS failed (the
// messages of one batch): a call by the helper when the person has a
// confirmation task, else the village loudspeaker.
func (s *Service) fallback(ctx context.Context, failed []*backstop.Message) {
	var households []backstop.HouseholdAt
	var ms []*backstop.Message
	for _, m := range failed {
		if m.Channel == backstop.ChannelSMS && (m.Audience == backstop.AudienceKeyGroups || m.Audience == backstop.AudienceHouseholds) && m.HouseholdID != 0 {
			households = append(households, backstop.HouseholdAt{ID: m.HouseholdID, Village: m.VillageCode})
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return
	}
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("dispatch"))
	releaseID := ms[0].ReleaseID
	called, err := s.Store.RequestCalls(ctx, releaseID, households)
	if err != nil {
		s.logger().Error("fallback: request calls", "release", releaseID, "err", err)
		return
	}
	if len(called) > 0 {
		s.logger().Info("fallback: helpers asked to call", "release", releaseID, "households", len(called))
	}
	villages := map[string]int64{}
	var order []string
	for _, m := range ms {
		if called[m.HouseholdID] == 0 && m.VillageCode != "" {
			if _, ok := villages[m.VillageCode]; !ok {
				villages[m.VillageCode] = m.ID
				order = append(order, m.VillageCode)
			}
		}
	}
	if len(order) == 0 {
		return
	}
	if _, ok := s.Senders[backstop.ChannelBroadcast]; !ok {
		s.logger().Warn("fallback: no loudspeaker channel configured", "release", releaseID, "villages", len(order))
		return
	}
	for _, v := range order {
		s.broadcastVillage(ctx, releaseID, v, villages[v])
	}
}

// broadcastVillage sends the release's public text to a village's
// loudspeaker, once per release.
func (s *Service) broadcastVillage(ctx context.Context, releaseID int64, village string, instead int64) {
	if _, ok := s.Senders[backstop.ChannelBroadcast]; !ok || village == "" {
		s.logger().Warn("fallback: no loudspeaker channel configured", "release", releaseID, "village", village)
		return
	}
	r, err := s.Store.FindRelease(ctx, releaseID)
	if err != nil {
		s.logger().Error("fallback: release", "release", releaseID, "err", err)
		return
	}
	address := village
	if cs, err := s.Store.ContactsFor(ctx, []string{village}); err == nil {
		for _, c := range cs {
			if c.Kind == backstop.ContactBroadcast && c.Region == village {
				address = c.Address
				break
			}
		}
	}
	m := &backstop.Message{Channel: backstop.ChannelBroadcast, Audience: backstop.AudienceVillages, Address: address, VillageCode: village, Fallback: instead, NextAt: s.now()}
	if r.Test {
		m.Status = backstop.MessageSimulated
	}
	n, err := s.Store.AddFollowUp(ctx, releaseID, backstop.ChannelBroadcast, r.Text, []*backstop.Message{m}, true)
	if err != nil {
		s.logger().Error("fallback: broadcast", "release", releaseID, "err", err)
		return
	}
	if n > 0 && !r.Test {
		s.logger().Info("fallback: village loudspeaker", "release", releaseID, "village", village)
		s.kickFollowUp(ctx, releaseID, m.Batch)
	}
}

func (s *Service) kickFollowUp(ctx context.Context, releaseID int64, batch int) {
	if s.Enqueue != nil {
		if err := s.Enqueue(context.WithoutCancel(ctx), []backstop.DispatchBatch{{ReleaseID: releaseID, Batch: batch}}); err != nil {
			s.logger().Warn("enqueue follow-up", "release", releaseID, "err", err)
		}
	}
}

// HandleReceipt applies a delivery report and falls back on failure.
func (s *Service) HandleReceipt(ctx context.Context, key, status, reason string, at time.Time) error {
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("receipts"))
	m, err := s.Store.ApplyReceipt(ctx, key, status, reason, at)
	if err != nil {
		return err
	}
	if status == backstop.MessageFailed {
		s.fallback(ctx, []*backstop.Message{m})
	}
	return nil
}

// Confirm records a confirmation; a person nobody could reach is told by
// the village loudspeaker.
func (s *Service) Confirm(ctx context.Context, id int64, outcome, note, by string) (*backstop.ConfirmationTask, error) {
	t, err := s.Store.ConfirmTask(ctx, id, outcome, note, by)
	if err != nil {
		return nil, err
	}
	if outcome == backstop.NotReachable {
		s.broadcastVillage(backstop.NewContextWithUser(ctx, backstop.SystemUser("dispatch")), t.ReleaseID, t.VillageCode, 0)
	}
	return t, nil
}

// Sweep hands every due batch to the queue (or sends them here without
// one): batches of a release whose process died, retries whose backoff
// is over, follow-ups.
func (s *Service) Sweep(ctx context.Context) error {
	s.defaults()
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("dispatch"))
	due, err := s.Store.DueBatches(ctx, s.now(), 1000)
	if err != nil || len(due) == 0 {
		return err
	}
	if s.Enqueue != nil {
		return s.Enqueue(ctx, due)
	}
	for _, b := range due {
		if err := s.SendBatch(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// Run sweeps every interval and looks for overdue confirmations every
// escalateEvery, until ctx ends.
func (s *Service) Run(ctx context.Context, interval, escalateEvery time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var escalated time.Time
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.logger().Error("dispatch sweep", "err", err)
		}
		if time.Since(escalated) >= escalateEvery {
			escalated = time.Now()
			if err := s.Escalate(ctx); err != nil && ctx.Err() == nil {
				s.logger().Error("escalation", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// dutyGroups are the 企业微信 groups of a release: the city's robot and
// the groups of the release's villages and the regions above them.
func (s *Service) dutyGroups(ctx context.Context, villages []string) ([]*backstop.Message, error) {
	if _, ok := s.Senders[backstop.ChannelWeCom]; !ok {
		return nil, nil
	}
	out := []*backstop.Message{{Channel: backstop.ChannelWeCom, Audience: backstop.AudienceOfficers, Address: channel.DefaultRobot, NextAt: s.now()}}
	cs, err := s.Store.ContactsFor(ctx, villages)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Kind == backstop.ContactWeComGroup {
			out = append(out, &backstop.Message{Channel: backstop.ChannelWeCom, Audience: backstop.AudienceOfficers, Address: c.Address, Name: c.Name, VillageCode: c.Region, NextAt: s.now()})
		}
	}
	return out, nil
}

// postToDutyGroups sends a release's update to its duty groups; st are
// the release's figures (their villages name the groups).
func (s *Service) postToDutyGroups(ctx context.Context, r *backstop.Release, st *backstop.ReleaseStats, text string) error {
	villages := make([]string, len(st.Villages))
	for i, v := range st.Villages {
		villages[i] = v.Code
	}
	ms, err := s.dutyGroups(ctx, villages)
	if err != nil || len(ms) == 0 {
		return err
	}
	if r.Test {
		text = "【测试】" + text
		for _, m := range ms {
			m.Status = backstop.MessageSimulated
		}
	}
	if _, err := s.Store.AddFollowUp(ctx, r.ID, backstop.ChannelWeCom, text, ms, false); err != nil {
		return err
	}
	if !r.Test {
		s.kickFollowUp(ctx, r.ID, ms[0].Batch)
	}
	return nil
}

// WarningSuperseded tells the duty groups of every release of a warning
// that it was updated or cancelled.
func (s *Service) WarningSuperseded(ctx context.Context, old int64, w *backstop.Warning) {
	s.defaults()
	ctx = backstop.NewContextWithUser(context.WithoutCancel(ctx), backstop.SystemUser("dispatch"))
	rels, err := s.Store.FindReleases(ctx, old)
	if err != nil {
		s.logger().Error("warning update: releases", "warning", old, "err", err)
		return
	}
	what := "已更新"
	if w.MsgType == "Cancel" {
		what = "已解除"
	}
	headline := w.Headline
	if headline == "" {
		headline = w.Event
	}
	for _, r := range rels {
		text := fmt.Sprintf("**预警%s**\n第%d次定向发布所依据的预警%s：%s（预警%d → %d）。", what, r.ID, what, headline, old, w.ID)
		if w.MsgType != "Cancel" {
			text += "如需向群众发布更新内容，请在平台上对新预警发起定向发布。"
		}
		st, err := s.Store.ReleaseStats(ctx, r.ID)
		if err == nil {
			err = s.postToDutyGroups(ctx, r, st, text)
		}
		if err != nil {
			s.logger().Error("warning update: duty groups", "release", r.ID, "err", err)
		}
	}
}

// Escalate tells township duty officers of key-group persons unconfirmed
// past their deadline, and the county of those still unconfirmed a
// policy's minutes later.
func (s *Service) Escalate(ctx context.Context) error {
	s.defaults()
	ctx = backstop.NewContextWithUser(ctx, backstop.SystemUser("escalation"))
	now := s.now()
	countyAfter := 30 * time.Minute
	if p, err := s.Store.PolicyAt(ctx, "release.escalate_county_minutes", backstop.NationalScope, now); err == nil {
		countyAfter = time.Duration(p.Value * float64(time.Minute))
	}
	for level := 0; level < 2; level++ {
		tasks, err := s.Store.OverdueTasks(ctx, now, level, countyAfter)
		if err != nil {
			return err
		}
		if len(tasks) == 0 {
			continue
		}
		if err := s.escalate(ctx, tasks, level+1); err != nil {
			return err
		}
	}
	return nil
}

// escalate groups overdue tasks by release and township (level 1) or
// county (level 2) and messages that region's duty officers and group.
func (s *Service) escalate(ctx context.Context, tasks []*backstop.ConfirmationTask, level int) error {
	type key struct {
		release int64
		region  string
	}
	groups := map[key][]*backstop.ConfirmationTask{}
	var order []key
	escalated := map[int64][]int64{}
	var releaseOrder []int64
	for _, t := range tasks {
		if _, ok := escalated[t.ReleaseID]; !ok {
			escalated[t.ReleaseID] = nil
			releaseOrder = append(releaseOrder, t.ReleaseID)
		}
		region := t.VillageCode[:9] + "000"
		if level == 2 {
			region = t.VillageCode[:6] + "000000"
		}
		k := key{t.ReleaseID, region}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], t)
	}
	if level == 1 {
		// The first escalation of a release: its duty groups get where
		// the confirmations stand.
		seen := map[int64]bool{}
		for _, k := range order {
			if seen[k.release] {
				continue
			}
			seen[k.release] = true
			r, err := s.Store.FindRelease(ctx, k.release)
			if err != nil {
				return err
			}
			st, err := s.Store.ReleaseStats(ctx, r.ID)
			if err != nil {
				return err
			}
			text := fmt.Sprintf("**定向发布确认情况（截至%s）**\n第%d次发布：重点人群%d人，已确认%d人，无法联系%d人，逾期未确认%d人，已通报所在乡镇。",
				s.now().In(backstop.Beijing).Format("01-02 15:04"), r.ID, st.Tasks.Total, st.Tasks.Confirmed, st.Tasks.Unreachable, st.Tasks.Open)
			if err := s.postToDutyGroups(ctx, r, st, text); err != nil {
				return err
			}
		}
	}
	for _, k := range order {
		ts := groups[k]
		r, err := s.Store.FindRelease(ctx, k.release)
		if err != nil {
			return err
		}
		w, err := s.Store.FindWarning(ctx, r.WarningID)
		if err != nil {
			return err
		}
		name := k.region
		if reg, err := s.Store.FindRegion(ctx, k.region, false); err == nil {
			name = reg.Name
		}
		var villages []string
		for _, t := range ts {
			if v := t.Village; v != "" && !slices.Contains(villages, v) {
				villages = append(villages, v)
			}
		}
		if len(villages) > 5 {
			villages = append(villages[:5], "等")
		}
		hazard := w.Event
		if h, ok := backstop.HazardOf(w.Hazard); ok {
			hazard = h.ZH
		}
		text := fmt.Sprintf("【督办】%s：%d名重点人群未在%s前确认收到%s%s预警（%s），请立即督促包户干部电话或上门落实。",
			name, len(ts), r.Deadline.In(backstop.Beijing).Format("01-02 15:04"), hazard, backstop.LevelText(w.Level), strings.Join(villages, "、"))
		if r.Test {
			text = "【测试】" + text
		}
		contacts, err := s.Store.ContactsFor(ctx, []string{k.region})
		if err != nil {
			return err
		}
		byChannel := map[string][]*backstop.Message{}
		for _, c := range contacts {
			if c.Region != k.region {
				continue
			}
			add := func(ch, address string) {
				if address == "" {
					return
				}
				m := &backstop.Message{Channel: ch, Audience: backstop.AudienceOfficers, Address: address, Name: c.Name, VillageCode: k.region, NextAt: s.now()}
				if r.Test {
					m.Status = backstop.MessageSimulated
				}
				byChannel[ch] = append(byChannel[ch], m)
			}
			switch c.Kind {
			case backstop.ContactDutyOfficer:
				add(backstop.ChannelSMS, c.Phone)
				add(backstop.ChannelEmail, c.Email)
			case backstop.ContactWeComGroup:
				add(backstop.ChannelWeCom, c.Address)
			}
		}
		for ch, ms := range byChannel {
			if _, err := s.Store.AddFollowUp(ctx, k.release, ch, text, ms, false); err != nil {
				return err
			}
			if !r.Test && len(ms) > 0 {
				s.kickFollowUp(ctx, k.release, ms[0].Batch)
			}
		}
		for _, t := range ts {
			escalated[k.release] = append(escalated[k.release], t.ID)
		}
		s.logger().Info("escalated unconfirmed key-group persons", "release", k.release, "region", k.region, "level", level, "persons", len(ts), "contacts", len(byChannel))
	}
	// Each release is marked once all its regions were told.
	for _, id := range releaseOrder {
		if err := s.Store.MarkEscalated(ctx, id, escalated[id], level, s.now()); err != nil {
			return err
		}
	}
	return nil
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

// TestResult is what a test send came to.
type TestResult struct {
	Channel   string `json:"channel"`
	Accepted  bool   `json:"accepted"`
	GatewayID string `json:"gateway_id,omitempty"`
	Error     string `json:"error,omitempty"`
	Key       string `json:"key"`
}

// TestSend sends one test message straight to an address, for checking a
// channel's configuration; it is audited, outside any release.
func (s *Service) TestSend(ctx context.Context, ch, address, text string) (*TestResult, error) {
	s.defaults()
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermManageChannel); err != nil {
		return nil, err
	}
	sender, ok := s.Senders[ch]
	if !ok {
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "渠道%s未配置", "Channel %s is not configured.", ch)
	}
	if strings.TrimSpace(address) == "" && ch != backstop.ChannelWeCom {
		return nil, backstop.Localized(backstop.EINVALID, "请填写接收地址", "Give an address to send the test to.")
	}
	if ch == backstop.ChannelSMS {
		p, err := backstop.ValidatePhone(address)
		if err != nil {
			return nil, err
		}
		address = p
	}
	if text == "" {
		text = "【测试】这是因灾返贫防范平台的渠道测试消息，无需回复。"
	}
	var b [6]byte
	rand.Read(b[:])
	key := "bst-test-" + hex.EncodeToString(b[:])
	shown := address
	if ch == backstop.ChannelSMS {
		shown = backstop.MaskPhone(address)
	}
	if err := s.Store.Audit(ctx, "channel.test", "channel", ch, "to "+shown+", key "+key); err != nil {
		return nil, err
	}
	res := &TestResult{Channel: ch, Key: key}
	out, err := sender.Send(ctx, &backstop.Message{Channel: ch, Address: address, Text: text, Key: key})
	if err != nil {
		res.Error = err.Error()
	} else {
		res.Accepted, res.GatewayID = true, out.GatewayID
	}
	return res, nil
}

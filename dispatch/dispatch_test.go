package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/channel"
	"github.com/zhangye-backstop/backstop/clock"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/sqlstore"
	"github.com/zhangye-backstop/backstop/storetest"
)

// gateway is a fake JSON gateway that records each idempotency key once,
// as real gateways deduplicate by OutId, and can refuse or fail.
type gateway struct {
	mu       sync.Mutex
	srv      *httptest.Server
	got      map[string]map[string]any // key → body
	calls    int
	refuse   map[string]bool // addresses answered 200 with an error body
	failOnce map[string]bool // addresses answered 500 once
	down     map[string]bool // addresses answered 503 always
}

func newGateway(t *testing.T, field string) *gateway {
	g := &gateway{got: map[string]map[string]any{}, refuse: map[string]bool{}, failOnce: map[string]bool{}}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b map[string]any
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(w, "bad json", 400)
			return
		}
		addr, _ := b[field].(string)
		key, _ := b["key"].(string)
		g.mu.Lock()
		defer g.mu.Unlock()
		g.calls++
		switch {
		case g.down[addr]:
			http.Error(w, "down", 503)
		case g.failOnce[addr]:
			delete(g.failOnce, addr)
			http.Error(w, "overloaded", 503)
		case g.refuse[addr]:
			json.NewEncoder(w).Encode(map[string]any{"error": "number is out of service"})
		default:
			if _, dup := g.got[key]; !dup {
				g.got[key] = b
			}
			json.NewEncoder(w).Encode(map[string]any{"id": "gw-" + key})
		}
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gateway) keys() map[string]map[string]any {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]map[string]any{}
	for k, v := range g.got {
		out[k] = v
	}
	return out
}

type rig struct {
	db        *sqlstore.DB
	ctx       context.Context
	alerts    *alerting.Service
	d         *dispatch.Service
	clocks    *clock.Engine
	sms       *gateway
	broadcast *gateway
	now       time.Time
}

func newRig(t *testing.T, open func(testing.TB) *sqlstore.DB) *rig {
	t.Helper()
	db := open(t)
	ctx := storetest.Admin()
	exp := storetest.DemoExposure(t, db, 3000, 5)
	r := &rig{db: db, ctx: ctx, sms: newGateway(t, "to"), broadcast: newGateway(t, "terminal_group"), now: time.Now()}
	senders, err := channel.Build(channel.Config{SMSWebhook: r.sms.srv.URL, BroadcastEndpoint: r.broadcast.srv.URL, SignName: "张掖应急"})
	if err != nil {
		t.Fatal(err)
	}
	r.alerts = &alerting.Service{Store: db, Exposer: exp, Sender: "backstop.test", Region: "620700"}
	r.d = &dispatch.Service{Store: db, Exposer: exp, Senders: senders, BaseURL: "https://backstop.test", BatchSize: 100, Concurrency: 8,
		Now: func() time.Time { return r.now }}
	r.clocks = &clock.Engine{Store: db, Now: func() time.Time { return r.now }}
	r.clocks.Register(backstop.ClockReleaseConfirm, r.d.ConfirmDeadline)
	return r
}

// escalate fires the due clocks, as the server's clock loop does.
func (r *rig) escalate(t *testing.T) {
	t.Helper()
	if _, err := r.clocks.RunDue(r.ctx); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) warning(t *testing.T, status, level string, region string) *backstop.Warning {
	t.Helper()
	w, err := r.alerts.IngestInput(r.ctx, &alerting.Input{Status: status, Hazard: "rainstorm", Level: level, Headline: "临泽县气象台发布暴雨预警",
		Instruction: "请远离河道和低洼地", Areas: []alerting.InputArea{{Desc: "临泽县", Regions: []string{region}}}}, "json")
	if err != nil {
		t.Fatalf("warning: %v %v", err, backstop.ErrorDetails(err))
	}
	return w
}

var everyone = dispatch.Request{Audiences: backstop.Audiences, Channels: []string{backstop.ChannelSMS, backstop.ChannelBroadcast, backstop.ChannelEmail}}

// drain sweeps until no batch is due.
func (r *rig) drain(t *testing.T) {
	t.Helper()
	for i := 0; i < 50; i++ {
		due, err := r.db.DueBatches(r.ctx, r.now, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) == 0 {
			return
		}
		if err := r.d.Sweep(r.ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("batches still due after 50 sweeps")
}

func counts(st *backstop.ReleaseStats) map[string]int {
	out := map[string]int{}
	for _, c := range st.Messages {
		out[c.Channel+"/"+c.Status] += c.N
		out[c.Status] += c.N
	}
	return out
}

func TestRelease(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, e.Open)
			w := r.warning(t, "Actual", "red", "620723")
			// Preview and release agree; every address is messaged once per channel.
			pv, err := r.d.Preview(r.ctx, w.ID, everyone)
			if err != nil {
				t.Fatal(err)
			}
			if pv.Messages == 0 || pv.Tasks == 0 || pv.Segments == 0 || !strings.HasPrefix(pv.Text, "张掖市预警信息发布中心发布暴雨红色") {
				t.Fatalf("preview %+v", pv)
			}
			e, _ := r.db.FindExposure(r.ctx, w.ID)
			byAudience := map[string]int{}
			for _, c := range pv.Counts {
				byAudience[c.Audience+"/"+c.Channel] = c.N
			}
			if byAudience["key_groups/sms"] == 0 || byAudience["households/sms"] == 0 || byAudience["helpers/sms"] == 0 || byAudience["villages/broadcast"] == 0 ||
				byAudience["officers/sms"] == 0 || byAudience["subscribers/sms"] == 0 {
				t.Fatalf("counts by audience %v", byAudience)
			}
			if byAudience["households/sms"]+byAudience["key_groups/sms"] < e.Total.Households*9/10 {
				t.Errorf("%d households exposed, only %d+%d household messages", e.Total.Households, byAudience["households/sms"], byAudience["key_groups/sms"])
			}
			// One phone fails for good, one answers 503 once.
			var refused, flaky string
			err = r.db.ScanExposedRecipients(r.ctx, pv.SnapshotID, func(x *backstop.ExposedRecipient) error {
				switch {
				case refused == "" && x.Phone != "" && x.Groups&backstop.KeyGroups != 0 && x.HelperPhone != "":
					refused = x.Phone
				case flaky == "" && x.Phone != "" && x.Groups&backstop.KeyGroups == 0:
					flaky = x.Phone
				}
				return nil
			})
			if err != nil || refused == "" || flaky == "" {
				t.Fatalf("pick phones: %v %q %q", err, refused, flaky)
			}
			r.sms.refuse[refused], r.sms.failOnce[flaky] = true, true

			rel, err := r.d.Create(r.ctx, w.ID, everyone)
			if err != nil {
				t.Fatal(err)
			}
			if rel.State != backstop.StreamSending || rel.Deadline.Sub(rel.CreatedAt) > 31*time.Minute || len(rel.PolicyIDs) != 2 {
				t.Fatalf("release %+v", rel)
			}
			st, _ := r.db.ReleaseStats(r.ctx, rel.ID)
			if c := counts(st); c["pending"] != pv.Messages || st.Tasks.Total != pv.Tasks {
				t.Fatalf("written %v and %d tasks; preview %d messages, %d tasks", c, st.Tasks.Total, pv.Messages, pv.Tasks)
			}
			r.drain(t)
			// The 503 is retried after its backoff.
			r.now = r.now.Add(3 * time.Second)
			r.drain(t)
			st, _ = r.db.ReleaseStats(r.ctx, rel.ID)
			c := counts(st)
			if c["sms/failed"] != 1 || c["pending"] != 0 {
				due, _ := r.db.DueBatches(r.ctx, r.now.Add(time.Hour), 10)
				var next, dueAt any
				var attempts int
				var errText string
				r.db.WriteDB().QueryRow(`SELECT next_at, attempts, error FROM messages WHERE status = 'pending'`).Scan(&next, &attempts, &errText)
				r.db.WriteDB().QueryRow(`SELECT due_at FROM outbox_batches WHERE due_at IS NOT NULL`).Scan(&dueAt)
				t.Fatalf("after sending: %v (due later: %v; next %v due %v attempts %d %s; now %v)", c, due, next, dueAt, attempts, errText, r.now)
			}
			got := r.sms.keys()
			if len(got) != c["sms/sent"] {
				t.Fatalf("gateway recorded %d keys, %d sms sent", len(got), c["sms/sent"])
			}
			helperText := ""
			for _, b := range got {
				if text := b["text"].(string); strings.Contains(text, "https://backstop.test/c/") {
					helperText = text
				}
				if !strings.HasPrefix(b["text"].(string), "【张掖应急】") {
					t.Fatalf("unsigned SMS %q", b["text"])
				}
			}
			if helperText == "" {
				t.Fatal("no helper got a confirmation link")
			}
			// The refused person's helper is asked to call.
			calls, _, _ := r.db.FindTasks(r.ctx, backstop.TaskFilter{ReleaseID: rel.ID, Limit: 1000})
			asked := 0
			for _, t := range calls {
				if t.CallRequested {
					asked++
				}
			}
			if asked == 0 {
				t.Error("no call requested after the SMS failed")
			}
			// The helper's link opens exactly the helper's tasks; only its
			// hash is stored, never the link in a text.
			token := helperText[strings.Index(helperText, "/c/")+3:]
			phone, expires, err := r.db.LinkAssignee(r.ctx, token, r.now)
			if err != nil || phone == "" || !expires.Equal(rel.Deadline.Add(72*time.Hour).Truncate(time.Microsecond)) {
				t.Fatalf("link: %v %q expires %v (deadline %v)", err, phone, expires, rel.Deadline)
			}
			mine, n, _ := r.db.FindTasks(r.ctx, backstop.TaskFilter{ReleaseID: rel.ID, Assignee: phone})
			if n == 0 || mine[0].AssigneePhone != phone {
				t.Fatalf("link tasks %d", n)
			}
			if _, _, err := r.db.LinkAssignee(r.ctx, token+"x", r.now); backstop.ErrorCode(err) != backstop.ENOTFOUND {
				t.Errorf("forged link: %v", err)
			}
			if _, _, err := r.db.LinkAssignee(r.ctx, token, expires.Add(time.Second)); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
				t.Errorf("expired link: %v", err)
			}
			var inTexts int
			r.db.WriteDB().QueryRow(r.db.Rebind(`SELECT count(*) FROM message_texts WHERE text LIKE ?`), "%"+token+"%").Scan(&inTexts)
			if inTexts != 0 {
				t.Error("the link's token is stored in a message text")
			}

			// Receipts: delivered and failed; an unknown key is refused.
			var keys []string
			for k := range got {
				keys = append(keys, k)
			}
			for _, k := range keys[:len(keys)/2] {
				if err := r.d.HandleReceipt(r.ctx, "sms", k, backstop.MessageDelivered, "", r.now.Add(time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.d.HandleReceipt(r.ctx, "sms", "bst-999-1", backstop.MessageDelivered, "", r.now); backstop.ErrorCode(err) != backstop.ENOTFOUND {
				t.Errorf("unknown key: %v", err)
			}
			if err := r.d.HandleReceipt(r.ctx, "sms", "nonsense", backstop.MessageDelivered, "", r.now); backstop.ErrorCode(err) != backstop.ENOTFOUND {
				t.Errorf("bad key: %v", err)
			}
			st, _ = r.db.ReleaseStats(r.ctx, rel.ID)
			if counts(st)["sms/delivered"] != len(keys)/2 || st.FirstDelivered == nil {
				t.Errorf("after receipts: %v first %v", counts(st), st.FirstDelivered)
			}

			// Confirmations: reached, and one nobody could reach → the village loudspeaker.
			open, total, _ := r.db.FindTasks(r.ctx, backstop.TaskFilter{ReleaseID: rel.ID, Open: true, Limit: 1000})
			if total != pv.Tasks {
				t.Fatalf("open tasks %d, want %d", total, pv.Tasks)
			}
			if _, err := r.d.Confirm(r.ctx, open[0].ID, backstop.ReachedPhone, "已电话告知", ""); err != nil {
				t.Fatal(err)
			}
			if _, err := r.d.Confirm(r.ctx, open[1].ID, "maybe", "", ""); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("bad outcome: %v", err)
			}
			before := len(r.broadcast.keys())
			if _, err := r.d.Confirm(r.ctx, open[1].ID, backstop.NotReachable, "家中无人", ""); err != nil {
				t.Fatal(err)
			}
			r.drain(t)
			if after := len(r.broadcast.keys()); after != before {
				// The village got the release's loudspeaker message already:
				// the stand-in is skipped as a duplicate.
				t.Errorf("loudspeaker messages %d → %d: the village was broadcast to twice", before, after)
			}
			st, _ = r.db.ReleaseStats(r.ctx, rel.ID)
			if st.Tasks.Confirmed != 1 || st.Tasks.Unreachable != 1 {
				t.Errorf("tasks %+v", st.Tasks)
			}

			// Escalation: past the deadline the township is told, later the county.
			r.now = rel.Deadline.Add(time.Minute)
			smsBefore := len(r.sms.keys())
			r.escalate(t)
			r.drain(t)
			st, _ = r.db.ReleaseStats(r.ctx, rel.ID)
			if st.Tasks.Escalated != st.Tasks.Open {
				t.Errorf("escalated %d of %d open", st.Tasks.Escalated, st.Tasks.Open)
			}
			townshipMsgs := len(r.sms.keys()) - smsBefore
			if townshipMsgs == 0 {
				t.Fatal("no township duty officer was told")
			}
			foundText := false
			for _, b := range r.sms.keys() {
				foundText = foundText || strings.Contains(b["text"].(string), "【督办】")
			}
			if !foundText {
				t.Error("no escalation text at the gateway")
			}
			r.escalate(t)
			r.drain(t)
			if n := len(r.sms.keys()) - smsBefore; n != townshipMsgs {
				t.Errorf("escalating again sent %d more", n-townshipMsgs)
			}
			r.now = r.now.Add(31 * time.Minute)
			r.escalate(t)
			r.drain(t)
			lvl2, _, _ := r.db.FindTasks(r.ctx, backstop.TaskFilter{ReleaseID: rel.ID, Open: true, Limit: 5})
			if len(lvl2) == 0 || lvl2[0].Escalation != 2 {
				t.Errorf("county escalation: %+v", lvl2)
			}
			if final, _ := r.db.FindRelease(r.ctx, rel.ID); final.State != backstop.StreamDone {
				t.Errorf("release state %s", final.State)
			}
			// The kept counts agree with counting the messages themselves.
			truth := map[string]int{}
			rows, err := r.db.WriteDB().Query(r.db.Rebind(`SELECT channel, status, count(*) FROM messages WHERE stream_id = ? GROUP BY channel, status`), rel.StreamID)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var ch, status string
				var n int
				rows.Scan(&ch, &status, &n)
				truth[ch+"/"+status], truth[status] = truth[ch+"/"+status]+n, truth[status]+n
			}
			rows.Close()
			st, _ = r.db.ReleaseStats(r.ctx, rel.ID)
			if kept := counts(st); fmt.Sprint(kept) != fmt.Sprint(truth) {
				t.Errorf("kept counts %v, counted %v", kept, truth)
			}
		})
	}
}

func TestReleaseRules(t *testing.T) {
	r := newRig(t, storetest.OpenSQLite)
	ctx := r.ctx
	// A yellow warning needs an approved consultation that decided to release.
	yellow := r.warning(t, "Actual", "yellow", "620702")
	if _, err := r.d.Create(ctx, yellow.ID, everyone); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Fatalf("yellow without consultation: %v", err)
	}
	c := &backstop.Consultation{WarningID: yellow.ID, Departments: []string{"气象局", "应急管理局"}, Assessment: "强降雨集中在甘州区", Decision: backstop.DecisionRelease}
	if err := r.db.CreateConsultation(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := r.d.Preview(ctx, yellow.ID, everyone); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Fatalf("before approval: %v", err)
	}
	// Four eyes: who recorded it does not approve it.
	if _, err := r.db.ApproveConsultation(ctx, c.ID); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Fatalf("approved by its own recorder: %v", err)
	}
	if _, err := r.db.ApproveConsultation(backstop.NewContextWithUser(context.Background(), backstop.CommandLineUser("approver")), c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.d.Preview(ctx, yellow.ID, everyone); err != nil {
		t.Fatalf("after approval: %v", err)
	}
	// Bad requests name what is wrong.
	for _, req := range []dispatch.Request{{}, {Audiences: []string{"everyone"}, Channels: []string{"sms"}}, {Audiences: []string{"households"}, Channels: []string{"fax"}},
		{Audiences: []string{"households"}, Channels: []string{"sms"}, Template: "{hazard}，{weather}"}} {
		if _, err := r.d.Preview(ctx, yellow.ID, req); backstop.ErrorCode(err) != backstop.EINVALID {
			t.Errorf("request %+v: %v", req, err)
		}
	}
	// A test warning is released as a test only, and nothing reaches a gateway.
	exercise := r.warning(t, "Exercise", "red", "620723")
	if _, err := r.d.Create(ctx, exercise.ID, everyone); backstop.ErrorCode(err) != backstop.EINVALID {
		t.Fatalf("exercise released for real: %v", err)
	}
	test := everyone
	test.Test = true
	rel, err := r.d.Create(ctx, exercise.ID, test)
	if err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	st, _ := r.db.ReleaseStats(ctx, rel.ID)
	if c := counts(st); c["simulated"] == 0 || c["pending"]+c["sent"] != 0 || len(r.sms.keys()) != 0 || !strings.HasPrefix(rel.Text, "【测试】") {
		t.Fatalf("test release: %v, gateway got %d", c, len(r.sms.keys()))
	}
	// Past its deadline, a test release escalates too, as simulated messages.
	r.now = rel.Deadline.Add(time.Minute)
	r.escalate(t)
	r.drain(t)
	if len(r.sms.keys()) != 0 {
		t.Fatal("a test escalation reached the gateway")
	}
	// A cancelled warning cannot be released.
	red := r.warning(t, "Actual", "red", "620702")
	if _, err := r.alerts.IngestInput(ctx, &alerting.Input{MsgType: "Cancel", Supersedes: red.ID, Hazard: "rainstorm", Level: "red", Areas: []alerting.InputArea{{Regions: []string{"620702"}}}}, "json"); err != nil {
		t.Fatalf("cancel: %v %v", err, backstop.ErrorDetails(err))
	}
	if _, err := r.d.Create(ctx, red.ID, everyone); backstop.ErrorCode(err) != backstop.ECONFLICT {
		t.Fatalf("cancelled warning released: %v", err)
	}
	// A channel no chosen audience is reached on is named, not silently
	// unused; one that an audience uses but nobody has is named too.
	odd := dispatch.Request{Audiences: []string{backstop.AudienceHouseholds}, Channels: []string{backstop.ChannelSMS, backstop.ChannelWeCom}}
	if pv, err := r.d.Preview(ctx, yellow.ID, odd); err != nil || len(pv.Unused) != 1 || pv.Unused[0] != backstop.ChannelWeCom {
		t.Errorf("preview of sms+wecom to households: %v unused %v", err, pv.Unused)
	}
	if rel, err := r.d.Create(ctx, yellow.ID, odd); err != nil || len(rel.Unused) != 1 || rel.Unused[0] != backstop.ChannelWeCom {
		t.Errorf("release of sms+wecom to households: %v", err)
	} else if got, _ := r.db.FindRelease(ctx, rel.ID); len(got.Unused) != 1 {
		t.Errorf("stored release unused channels: %v", got.Unused)
	}
	mail := dispatch.Request{Audiences: []string{backstop.AudienceHouseholds, backstop.AudienceSubscribers}, Channels: []string{backstop.ChannelEmail}}
	if pv, err := r.d.Preview(ctx, yellow.ID, mail); err != nil || len(pv.Unused) != 0 {
		t.Errorf("preview of e-mail to subscribers: %v unused %v empty %v", err, pv.Unused, pv.Empty)
	}
	// A county officer's release stays in the county.
	county := storetest.UserContext(t, r.db, "linze", backstop.RoleCounty, "620723")
	w := r.warning(t, "Actual", "red", "620700")
	pv, err := r.d.Preview(county, w.ID, dispatch.Request{Audiences: []string{backstop.AudienceHouseholds}, Channels: []string{backstop.ChannelSMS}})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := r.d.Preview(ctx, w.ID, dispatch.Request{Audiences: []string{backstop.AudienceHouseholds}, Channels: []string{backstop.ChannelSMS}})
	if pv.Messages == 0 || pv.Messages >= all.Messages {
		t.Errorf("county release %d messages, city %d", pv.Messages, all.Messages)
	}
}

func TestTemplatesAndContactsStore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := e.Open(t)
			ctx := storetest.Admin()
			t1, err := db.TemplateFor(ctx, backstop.NationalScope, "rainstorm", "red")
			if err != nil || t1.Hazard != "rainstorm" {
				t.Fatalf("rainstorm template: %v %+v", err, t1)
			}
			if g, err := db.TemplateFor(ctx, backstop.NationalScope, "hail", "blue"); err != nil || g.Hazard != "" {
				t.Fatalf("general template: %v %+v", err, g)
			}
			bad := &backstop.MessageTemplate{Hazard: "hail", Text: "冰雹{levle}预警"}
			if err := db.SaveTemplate(ctx, bad); backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessage(err), "{levle}") {
				t.Fatalf("unknown placeholder saved: %v", err)
			}
			hail := &backstop.MessageTemplate{Hazard: "hail", Level: "orange", Text: "{hazard}{level}预警：{area}，注意防雹。"}
			if err := db.SaveTemplate(ctx, hail); err != nil {
				t.Fatal(err)
			}
			if got, _ := db.TemplateFor(ctx, backstop.NationalScope, "hail", "orange"); got.ID != hail.ID {
				t.Errorf("most specific template not chosen: %+v", got)
			}
			dup := &backstop.MessageTemplate{Hazard: "hail", Level: "orange", Text: "{hazard}"}
			if err := db.SaveTemplate(ctx, dup); backstop.ErrorCode(err) != backstop.ECONFLICT {
				t.Errorf("duplicate template: %v", err)
			}
			storetest.LoadRegions(t, db)
			township := storetest.UserContext(t, db, "shahe", backstop.RoleTownship, "620723101")
			if err := db.CreateContacts(township, &backstop.Contact{Kind: backstop.ContactDutyOfficer, Name: "x", Region: "620723101", Phone: "10012345678"}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
				t.Errorf("a township user managed contacts: %v", err)
			}
			c := &backstop.Contact{Kind: backstop.ContactDepartment, Name: "水务局", Region: "620700", Email: "water@example.org", Hazards: []backstop.Hazard{"flood"}}
			if err := db.CreateContacts(ctx, c); err != nil {
				t.Fatal(err)
			}
			got, err := db.ContactsFor(ctx, []string{"620723101201"})
			if err != nil || len(got) != 1 || !got[0].Subscribed("flood") || got[0].Subscribed("gale") {
				t.Fatalf("contacts for a village: %v %+v", err, got)
			}
		})
	}
}

// TestRetryThenFallback: a gateway that keeps failing is retried with
// backoff, then given up on; the person's helper is asked to call.
func TestRetryThenFallback(t *testing.T) {
	r := newRig(t, storetest.OpenSQLite)
	w := r.warning(t, "Actual", "orange", "620723")
	// A key-group member's own phone, in a household whose others are
	// reached on the household's phone: only that member goes unreached.
	var phone string
	var household int64
	pv, err := r.d.Preview(r.ctx, w.ID, everyone)
	if err != nil {
		t.Fatal(err)
	}
	r.db.ScanExposedRecipients(r.ctx, pv.SnapshotID, func(x *backstop.ExposedRecipient) error {
		if phone != "" || x.Phone == "" || x.Groups&backstop.KeyGroups == 0 || x.HelperPhone == "" || len(x.Members) < 2 {
			return nil
		}
		for _, m := range x.Members {
			if m.Phone != "" && m.Phone != x.Phone {
				phone, household = m.Phone, x.HouseholdID
				break
			}
		}
		return nil
	})
	if phone == "" {
		t.Fatal("fixture: no key-group household with a member on a phone of their own")
	}
	r.sms.mu.Lock()
	r.sms.down = map[string]bool{phone: true}
	r.sms.mu.Unlock()
	rel, err := r.d.Create(r.ctx, w.ID, dispatch.Request{Audiences: []string{backstop.AudienceKeyGroups}, Channels: []string{backstop.ChannelSMS}})
	if err != nil {
		t.Fatal(err)
	}
	var attempts []int
	for i := 0; i < 8; i++ {
		r.drain(t)
		st, _ := r.db.ReleaseStats(r.ctx, rel.ID)
		c := counts(st)
		attempts = append(attempts, c["sms/pending"])
		if c["sms/failed"] == 1 {
			break
		}
		r.now = r.now.Add(40 * time.Second) // past any backoff so far
	}
	st, _ := r.db.ReleaseStats(r.ctx, rel.ID)
	if c := counts(st); c["sms/failed"] != 1 || c["sms/pending"] != 0 {
		t.Fatalf("after retries: %v (pending per round %v)", c, attempts)
	}
	var errText string
	var tries int
	r.db.WriteDB().QueryRow(r.db.Rebind(`SELECT error, attempts FROM messages WHERE stream_id = ? AND status = 'failed'`), rel.StreamID).Scan(&errText, &tries)
	if tries != 5 || !strings.Contains(errText, "gave up after 5 attempts") {
		t.Errorf("failed after %d attempts: %q", tries, errText)
	}
	tasks, _, _ := r.db.FindTasks(r.ctx, backstop.TaskFilter{ReleaseID: rel.ID, Limit: 2000})
	asked, others := 0, 0
	for _, tk := range tasks {
		onPhone := tk.Phone == phone || tk.Phone == backstop.MaskPhone(phone)
		switch {
		case tk.CallRequested && !onPhone:
			t.Errorf("%s (household %d) is marked 短信失败, but the SMS that failed went to another number", tk.PersonName, tk.HouseholdID)
		case tk.CallRequested:
			asked++
		case tk.HouseholdID == household:
			others++
		}
	}
	if asked == 0 {
		t.Error("no call requested after giving up")
	}
	if others == 0 {
		t.Error("fixture: the household has nobody reached on another number")
	}
}

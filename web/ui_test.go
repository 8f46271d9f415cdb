package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/alerting"
	"github.com/zhangye-backstop/backstop/channel"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/server"
	"github.com/zhangye-backstop/backstop/server/servertest"
	"github.com/zhangye-backstop/backstop/storetest"
)

// uiSite is the whole UI as its users meet it: demo households over
// Zhangye, a user of every role (the township and village ones where the
// release has tasks), a red warning in force over the city released by
// SMS to key groups and helpers, an expired warning and a yellow one
// without a consultation.
type uiSite struct {
	*site
	d                         *dispatch.Service
	red, expired, yellow      *backstop.Warning
	release                   *backstop.Release
	township, village         string // codes with tasks
	mu                        sync.Mutex
	texts                     []string
	links                     map[string]string // helper phone → link path
	taskInVillage, totalTasks int
}

// uiUsers are the users of every role, by name.
var uiUsers = []struct {
	Name, Display string
	Role          backstop.Role
}{
	{"guanli", "系统管理员", backstop.RoleAdmin}, {"boss", "市应急值班", backstop.RoleCity}, {"xian01", "县应急值班", backstop.RoleCounty}, {"town", "乡镇值班", backstop.RoleTownship},
	{"cadre", "村干部", backstop.RoleVillage}, {"weather", "气象台", backstop.RoleDepartment}, {"audit", "审计员", backstop.RoleAuditor},
}

func newUISite(t *testing.T, households int) *uiSite {
	t.Helper()
	db := storetest.OpenSQLite(t)
	ctx := storetest.Admin()
	storetest.DemoExposure(t, db, households, 4)
	us := &uiSite{links: map[string]string{}}
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct{ To, Text, Key string }
		json.NewDecoder(r.Body).Decode(&b)
		us.mu.Lock()
		us.texts = append(us.texts, b.Text)
		if m := regexp.MustCompile(`/c/[0-9a-f]{32}`).FindString(b.Text); m != "" {
			us.links[b.To] = m
		}
		us.mu.Unlock()
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(gw.Close)
	senders, _ := channel.Build(channel.Config{SMSWebhook: gw.URL})
	us.d = &dispatch.Service{Senders: senders}
	app, srv := servertest.New(t, db, server.Config{CAPSender: "backstop.test", CAPRegion: "620700", Dispatch: us.d})
	us.d.BaseURL = srv.URL
	us.site = &site{db: db, srv: srv, alerts: app.Alerting}
	now := time.Now()
	in := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	var err error
	us.red, err = app.Alerting.IngestInput(ctx, &alerting.Input{Hazard: "rainstorm", Level: "red", Headline: "张掖市气象台发布暴雨红色预警信号：预计未来6小时内临泽县、甘州区将出现50毫米以上强降水，局地伴有雷电、短时大风，请注意防范山洪和城乡积涝",
		Instruction: "请远离河道、山洪沟和低洼地带，危险区域人员立即转移。", Onset: in(-time.Hour), Expires: in(24 * time.Hour),
		Areas: []alerting.InputArea{{Desc: "临泽县、甘州区", Regions: []string{"620723", "620702"}}}}, "form")
	if err != nil {
		t.Fatal(err)
	}
	us.expired, err = app.Alerting.IngestInput(ctx, &alerting.Input{Hazard: "gale", Level: "orange", Onset: in(-72 * time.Hour), Expires: in(-48 * time.Hour),
		Areas: []alerting.InputArea{{Desc: "山丹县", Regions: []string{"620725"}}}}, "form")
	if err != nil {
		t.Fatal(err)
	}
	us.yellow, err = app.Alerting.IngestInput(ctx, &alerting.Input{Hazard: "hail", Level: "yellow", Expires: in(12 * time.Hour),
		Areas: []alerting.InputArea{{Desc: "甘州区", Regions: []string{"620702"}}}}, "form")
	if err != nil {
		t.Fatal(err)
	}
	if us.release, err = us.d.Create(ctx, us.red.ID, dispatch.Request{Audiences: []string{"key_groups", "helpers"}, Channels: []string{"sms"}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := us.d.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	tasks, total, err := db.FindTasks(ctx, backstop.TaskFilter{ReleaseID: us.release.ID, Limit: 1000})
	if err != nil || total == 0 {
		t.Fatalf("release tasks: %d, %v", total, err)
	}
	us.totalTasks = total
	// The village with the most tasks is the cadre's; its township the
	// township officer's.
	per := map[string]int{}
	for _, tk := range tasks {
		per[tk.VillageCode]++
		if per[tk.VillageCode] > per[us.village] {
			us.village = tk.VillageCode
		}
	}
	us.taskInVillage = per[us.village]
	us.township = us.village[:9] + "000"
	regions := map[string]string{"guanli": backstop.NationalScope, "boss": "620700000000", "xian01": us.village[:6] + "000000", "town": us.township,
		"cadre": us.village, "weather": "620700000000", "audit": backstop.NationalScope}
	for _, u := range uiUsers {
		if err := db.CreateUser(ctx, &backstop.User{Name: u.Name, DisplayName: u.Display, Role: u.Role, Region: regions[u.Name]}, password); err != nil {
			t.Fatal(err)
		}
	}
	return us
}

// helperLink is the link path of a helper with tasks in the village.
func (us *uiSite) helperLink(t *testing.T) string {
	t.Helper()
	tasks, _, err := us.db.FindTasks(storetest.Admin(), backstop.TaskFilter{ReleaseID: us.release.ID, Village: us.village, Limit: 1})
	if err != nil || len(tasks) == 0 {
		t.Fatalf("no task in %s: %v", us.village, err)
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	l := us.links[tasks[0].AssigneePhone]
	if l == "" {
		t.Fatalf("no link was sent to the assignee of task %d", tasks[0].ID)
	}
	return l
}

func (us *uiSite) url(path string) string { return us.srv.URL + path }

func (us *uiSite) releasePath() string { return fmt.Sprintf("/releases/%d", us.release.ID) }

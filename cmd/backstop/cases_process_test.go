package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zhangye-backstop/backstop/storetest"
)

// caseEscalations are the case escalation messages the gateway got, per
// (address, text).
func caseEscalations(g *fakeGateway) (byTarget map[string]int, total int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	byTarget = map[string]int{}
	for _, b := range g.unique {
		text, _ := b["text"].(string)
		if strings.Contains(text, "【监测帮扶督办】") {
			to, _ := b["to"].(string)
			byTarget[to+"\x00"+text]++
			total++
		}
	}
	return byTarget, total
}

// TestKill9WhileCaseDebtEscalates: a green-channel case's procedure debts
// come due (a county's procedure of 3-second clocks, set up as data);
// `serve` is killed while a debt clock's escalation is blocked writing its
// messages; after a restart every debt clock reaches its township stage
// once and each duty officer is told of each debt once — nothing lost,
// nothing doubled.
func TestKill9WhileCaseDebtEscalates(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	gw := newFakeGateway(t, 0)
	env := []string{"BACKSTOP_ADMIN_PASSWORD=first admin password", "BACKSTOP_SMS_WEBHOOK=" + gw.srv.URL, "BACKSTOP_DEMO_SENDS=1", "BACKSTOP_SMS_RATE=1000", "BACKSTOP_DB=" + dbURL}
	addr, data := freeAddr(t), t.TempDir()
	first := serveProcess(t, env, "--demo", "--demo-households", "800", "--addr", addr, "--data", data, "--poll-interval", "100ms")
	api := signIn(t, "http://"+addr, "first admin password")
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// 临泽县's procedure: three steps of 3-second clocks.
	procedure := `{"key":"case.procedures.fast","region":"620723000000","unit":"steps","effective_from":"2024-01-01","source":"test: 3-second clocks","data":[
	 {"code":"application","zh":"申请","role":"village","limit":0.05,"unit":"minutes","kind":"application"},
	 {"code":"review","zh":"乡镇审核","role":"township","limit":0.05,"unit":"minutes"},
	 {"code":"approval","zh":"县级审批","role":"county","limit":0.05,"unit":"minutes","kind":"approval"}]}`
	if code := api.call(t, "POST", "/api/v1/policies", procedure, nil); code != 201 {
		t.Fatalf("procedure: %d", code)
	}
	if code := api.call(t, "POST", "/api/v1/policies", `{"key":"case.procedure","region":"620723000000","unit":"name","effective_from":"2024-01-01","source":"test","data":[{"code":"fast","zh":"测试快速程序"}]}`, nil); code != 201 {
		t.Fatalf("procedure choice: %d", code)
	}
	var hs struct {
		Items []struct {
			Number string `json:"number"`
		} `json:"items"`
	}
	api.call(t, "GET", "/api/v1/households?region=620723&limit=1", "", &hs)
	if len(hs.Items) == 0 {
		t.Fatal("no household in 临泽县")
	}
	number := hs.Items[0].Number
	var loss struct {
		ID int64 `json:"id"`
	}
	if code := api.call(t, "POST", "/api/v1/households/"+number+"/loss-reports", `{"house_damage":"collapsed","house_rooms":2}`, &loss); code != 201 {
		t.Fatalf("loss report: %d", code)
	}
	if code := api.call(t, "POST", fmt.Sprintf("/api/v1/loss-reports/%d/verify", loss.ID), "", nil); code != 200 {
		t.Fatalf("verify: %d", code)
	}
	// The outbox is locked before the debts come due: the first debt
	// clock's run blocks writing its escalation.
	lock, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.Exec(`LOCK TABLE messages IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	var c struct {
		ID    int64 `json:"id"`
		Debts []struct {
			Step string `json:"step"`
		} `json:"debts"`
	}
	if code := api.call(t, "POST", "/api/v1/cases", `{"household":"`+number+`","source":"assessment","green_channel":true,"risk_types":["100A27006"],"disaster_sub_item":"洪涝灾害"}`, &c); code != 201 || len(c.Debts) != 3 {
		t.Fatalf("green channel: %d %+v", code, c)
	}
	subject := fmt.Sprintf("case:%d:debt:%%", c.ID)
	waitFor(t, "a debt clock's run to block on the lock", 60*time.Second, func() bool {
		var claimed, waiting int
		db.QueryRow(`SELECT count(*) FROM clocks WHERE subject LIKE $1 AND claim_owner <> ''`, subject).Scan(&claimed)
		db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%messages%' AND pid <> pg_backend_pid()`).Scan(&waiting)
		return claimed >= 1 && waiting > 0
	})
	first.kill(t)
	lock.Rollback()
	if _, n := caseEscalations(gw); n != 0 {
		t.Fatalf("%d escalation messages were sent by the killed run", n)
	}
	serveProcess(t, env, "--addr", addr, "--data", data, "--poll-interval", "100ms")
	stages := func() (atOne, total int) {
		rows, err := db.Query(`SELECT stage FROM clocks WHERE subject LIKE $1`, subject)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s int
			rows.Scan(&s)
			total++
			if s == 1 {
				atOne++
			}
		}
		return atOne, total
	}
	waitFor(t, "every debt clock to escalate after the restart", 60*time.Second, func() bool { n, total := stages(); return total == 3 && n == 3 })
	waitFor(t, "the escalation messages", 30*time.Second, func() bool { _, n := caseEscalations(gw); return n >= 3 })
	time.Sleep(2 * time.Second)
	byTarget, total := caseEscalations(gw)
	debts := map[string]bool{}
	for target, n := range byTarget {
		if n != 1 {
			t.Errorf("%q was told %d times", strings.ReplaceAll(target, "\x00", ": "), n)
		}
		for _, d := range []string{"申请", "乡镇审核", "县级审批"} {
			if strings.Contains(target, "“"+d+"”") {
				debts[d] = true
			}
		}
	}
	if len(debts) != 3 {
		t.Errorf("escalated debts %v of 3 (%d messages)", debts, total)
	}
	if n, _ := stages(); n != 3 {
		t.Errorf("%d debt clocks at stage 1 after the restart", n)
	}
	unique, calls := gw.count()
	if calls != unique {
		t.Errorf("the gateway got %d requests for %d messages", calls, unique)
	}
}

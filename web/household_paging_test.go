package web_test

import (
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/web"
)

// TestHouseholdHistoryPaged: a household's history longer than a page is
// paged, with its total, instead of cut at the newest 200 silently.
func TestHouseholdHistoryPaged(t *testing.T) {
	s := newSite(t)
	const number = "6207231012010001"
	for i := 0; i < 60; i++ {
		h, err := s.db.FindHousehold(storetest.Admin(), number)
		if err != nil {
			t.Fatal(err)
		}
		h.NaturalVillage = []string{"一组", "二组"}[i%2]
		h.Members = nil
		if err := s.db.UpdateHousehold(storetest.Admin(), h); err != nil {
			t.Fatal(err)
		}
	}
	_, total, err := s.db.HouseholdHistory(storetest.Admin(), number, 1, 0)
	if err != nil || total <= 60 {
		t.Fatalf("history: %d, %v", total, err)
	}
	c := s.client(t, "boss", web.LangZH)
	status, body := get(t, c, s.srv.URL+"/households/"+number)
	if status != 200 || !strings.Contains(body, `data-testid="history-pager"`) || strings.Count(body, `data-testid="history-row"`) != 50 {
		t.Fatalf("household page: %d, %d history rows, pager %v", status, strings.Count(body, `data-testid="history-row"`), strings.Contains(body, `data-testid="history-pager"`))
	}
	if !strings.Contains(pageText(body), "共 "+itoa(total)+" 条") || !strings.Contains(body, "history_page=2") {
		t.Errorf("the history pager does not say its total or link the next page")
	}
	_, body = get(t, c, s.srv.URL+"/households/"+number+"?history_page=2")
	if n := strings.Count(body, `data-testid="history-row"`); n != total-50 || !strings.Contains(body, "<td>51</td>") {
		t.Errorf("history page 2: %d rows of %d", n, total-50)
	}
}

func itoa(n int) string {
	var b []byte
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

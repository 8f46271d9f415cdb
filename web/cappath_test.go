package web_test

import (
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/storetest"
	"github.com/zhangye-backstop/backstop/web"
)

// TestCAPNotesInWords: a CAP note's element path reads in Chinese words
// on the warning page, not as alert/info[0]/area[0]/polygon.
func TestCAPNotesInWords(t *testing.T) {
	s := newSite(t)
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>62072341600000_20260715090000_9</identifier><sender>linze_weather</sender><sent>2026-07-15T09:00:00+08:00</sent>
<status>Actual</status><msgType>Alert</msgType><scope>Public</scope><info><language>zh-CN</language><category>Met</category><event>大风</event><urgency>Expected</urgency>
<severity>Severe</severity><certainty>Likely</certainty><headline>临泽县气象台发布大风橙色预警</headline><area><areaDesc>临泽县</areaDesc><polygon/>
<geocode><valueName>CPEAS Geographic Code</valueName><value>620723000000</value></geocode></area></info></alert>`
	w, err := s.alerts.IngestCAP(storetest.Admin(), []byte(doc), "upload")
	if err != nil {
		t.Fatalf("ingest: %v %v", err, backstop.ErrorDetails(err))
	}
	c := s.client(t, "boss", web.LangZH)
	_, body := get(t, c, s.srv.URL+"/warnings/"+itoa(int(w.ID)))
	text := pageText(body)
	if strings.Contains(text, "alert/info") || !strings.Contains(text, "预警 › 信息（第1项） › 区域（第1项） › 多边形") {
		t.Errorf("the CAP note's path is not in words: %.2000s", text)
	}
}

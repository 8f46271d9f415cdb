package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/egress"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestOutboundURLsChecked: feeds and 企业微信 robots given as URLs are
// checked against the outbound policy before they are stored, by every
// edge that creates them (API, web form, demo), since all go through the
// store.
func TestOutboundURLsChecked(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			ctx := storetest.Admin()
			storetest.LoadRegions(t, db)
			robot := func(name, address string) *backstop.Contact {
				return &backstop.Contact{Kind: backstop.ContactWeComGroup, Name: name, Region: "620723", Address: address}
			}
			for _, c := range []struct{ address, host string }{
				{"http://127.0.0.1:18080/cgi-bin/webhook/send?key=k", "127.0.0.1:18080"},
				{"https://10.0.0.1/cgi-bin/webhook/send?key=k", "10.0.0.1"},
				{"https://[::ffff:169.254.169.254]/latest/meta-data/", "[::ffff:169.254.169.254]"},
				{"ftp://qyapi.weixin.qq.com/", "qyapi.weixin.qq.com"},
			} {
				err := db.CreateContacts(ctx, robot("临泽县值班群", c.address))
				if backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessage(err), `Contact "临泽县值班群", 企业微信 robot address`) ||
					!strings.Contains(backstop.ErrorMessageZH(err), "联系人“临泽县值班群”的企业微信机器人地址") || !strings.Contains(backstop.ErrorMessageZH(err), c.host) {
					t.Errorf("robot %s: %v / %s", c.address, err, backstop.ErrorMessageZH(err))
				}
			}
			// All or none: a good robot beside a refused one is not stored.
			good := robot("高台县值班群", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6")
			if err := db.CreateContacts(ctx, good, robot("x", "https://192.168.1.1/")); backstop.ErrorCode(err) != backstop.EINVALID {
				t.Errorf("batch with a refused robot: %v", err)
			}
			if cs, _ := db.FindContacts(ctx, backstop.ContactWeComGroup); len(cs) != 0 {
				t.Fatalf("stored after refusals: %+v", cs)
			}
			// A public https robot and a bare key are stored; a key is not a
			// URL (it goes to the configured robot's host).
			if err := db.CreateContacts(ctx, good, robot("甘州区值班群", "693a91f6-7b1c-4bc4-97a0-0ec2f1a5a5aa")); err != nil {
				t.Fatal(err)
			}
			// With the allow-list, the closed network's robot gateway is fine.
			p, err := egress.NewPolicy("127.0.0.1:18080")
			if err != nil {
				t.Fatal(err)
			}
			db.Outbound = p
			if err := db.CreateContacts(ctx, robot("临泽县值班群", "http://127.0.0.1:18080/cgi-bin/webhook/send?key=k")); err != nil {
				t.Errorf("allowed robot: %v", err)
			}
			if err := db.CreateFeed(ctx, &backstop.Feed{Name: "内网", URL: "http://127.0.0.1:18080/cap/index.atom"}); err != nil {
				t.Errorf("allowed feed: %v", err)
			}
			for _, u := range []string{"http://127.0.0.1:18081/cap/index.atom", "https://169.254.169.254/latest/meta-data/"} {
				if err := db.CreateFeed(ctx, &backstop.Feed{Name: "x", URL: u}); backstop.ErrorCode(err) != backstop.EINVALID || !strings.Contains(backstop.ErrorMessageZH(err), "不允许访问") {
					t.Errorf("feed %s: %v", u, err)
				}
			}
			cs, _ := db.FindContacts(ctx, backstop.ContactWeComGroup)
			feeds, _ := db.FindFeeds(ctx)
			if len(cs) != 3 || len(feeds) != 1 {
				t.Errorf("stored %d robots, %d feeds; want 3, 1", len(cs), len(feeds))
			}
		})
	}
}

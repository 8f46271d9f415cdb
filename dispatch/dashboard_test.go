package dispatch_test

import (
	"slices"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/channel"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestDashboard: a release's dashboard lists the configured channels it
// sent nothing on and the failed messages no task follows up, with their
// reason; a township user's message figures are its township's, not the
// whole release's.
func TestDashboard(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e.Name, func(t *testing.T) {
			r := newRig(t, e.Open)
			w := r.warning(t, "Actual", "red", "620723")
			pv, err := r.d.Preview(r.ctx, w.ID, everyone)
			if err != nil {
				t.Fatal(err)
			}
			// A household outside the key groups (no task) whose phone is
			// out of service.
			var refused *backstop.ExposedRecipient
			err = r.db.ScanExposedRecipients(r.ctx, pv.SnapshotID, func(x *backstop.ExposedRecipient) error {
				if refused == nil && x.Phone != "" && x.Groups&backstop.KeyGroups == 0 {
					c := *x
					refused = &c
				}
				return nil
			})
			if err != nil || refused == nil {
				t.Fatalf("pick a phone: %v", err)
			}
			r.sms.refuse[refused.Phone] = true
			rel, err := r.d.Create(r.ctx, w.ID, everyone)
			if err != nil {
				t.Fatal(err)
			}
			r.drain(t)
			d, err := r.d.Dashboard(r.ctx, rel.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Unused) != 0 {
				t.Errorf("a release on every configured channel lists unused %v", d.Unused)
			}
			found := false
			for _, f := range d.Failures {
				if f.Village == refused.VillageCode && f.Reason != "" && f.Channel == backstop.ChannelSMS && f.Address == backstop.MaskPhone(refused.Phone) {
					found = f.Audience == backstop.AudienceHouseholds
				}
				if f.Address == refused.Phone {
					t.Errorf("an untasked failure shows the phone unmasked")
				}
			}
			if !found || d.FailuresTotal < 1 {
				t.Errorf("the refused household's message is not among the untasked failures (%d): %+v", d.FailuresTotal, d.Failures)
			}
			// SMS only: the loudspeakers, configured, sent nothing.
			smsOnly := everyone
			smsOnly.Audiences = []string{backstop.AudienceKeyGroups, backstop.AudienceHelpers, backstop.AudienceHouseholds}
			smsOnly.Channels = []string{backstop.ChannelSMS}
			rel2, err := r.d.Create(r.ctx, w.ID, smsOnly)
			if err != nil {
				t.Fatal(err)
			}
			r.drain(t)
			// E-mail configured (after the fact, as an operator may), not used.
			r.d.Senders[backstop.ChannelEmail] = &channel.Email{Addr: "127.0.0.1:1", From: "backstop@example.test"}
			if d2, err := r.d.Dashboard(r.ctx, rel2.ID); err != nil || !slices.Contains(d2.Unused, backstop.ChannelEmail) || slices.Contains(d2.Unused, backstop.ChannelSMS) {
				t.Errorf("unused channels of an SMS-only release: %v %v", d2.Unused, err)
			}
			// The township of the refused household sees its share.
			town := storetest.UserContext(t, r.db, "dash-town", backstop.RoleTownship, refused.VillageCode[:9])
			all, err := r.d.Progress(r.ctx, rel.ID)
			if err != nil {
				t.Fatal(err)
			}
			mine, err := r.d.Progress(town, rel.ID)
			if err != nil {
				t.Fatal(err)
			}
			if mine.MessagesTotal == 0 || mine.MessagesTotal >= all.MessagesTotal {
				t.Errorf("township messages %d of the release's %d", mine.MessagesTotal, all.MessagesTotal)
			}
			td, err := r.d.Dashboard(town, rel.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range td.Failures {
				if !backstop.CodeWithin(f.Village, refused.VillageCode[:9]+"000") {
					t.Errorf("a township sees a failure of %s", f.Village)
				}
			}
			if td.FailuresTotal < 1 || td.FailuresTotal > d.FailuresTotal {
				t.Errorf("township failures %d of %d", td.FailuresTotal, d.FailuresTotal)
			}
		})
	}
}

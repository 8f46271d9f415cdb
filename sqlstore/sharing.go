package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Departments sharing information: organisations and their members,
// subscriptions with their outbox streams, events recorded once and
// written to every subscription that wants them in one transaction, and
// pushes recorded once per key.

// orgVisible: an organisation is read inside its region and by users
// whose scope holds it.
func orgVisible(u *backstop.User, col string) (string, []any) {
	return scopeWhere(u, col)
}

func (db *DB) scanOrgs(ctx context.Context, ex execer, cond string, args ...any) ([]*backstop.Organisation, error) {
	rows, err := ex.QueryContext(ctx, db.q(`SELECT id, kind, name, region_code, contact, phone, created_at FROM organisations`+cond+` ORDER BY region_code, kind, id`), args...)
	if err != nil {
		return nil, err
	}
	var out []*backstop.Organisation
	byID := map[int64]*backstop.Organisation{}
	for rows.Next() {
		var o backstop.Organisation
		if err := rows.Scan(&o.ID, &o.Kind, &o.Name, &o.Region, &o.Contact, &o.Phone, &o.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		o.Members = []string{}
		out = append(out, &o)
		byID[o.ID] = &o
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	mrows, err := ex.QueryContext(ctx, db.q(`SELECT m.org_id, m.user_name FROM organisation_members m JOIN organisations o ON o.id = m.org_id`+strings.ReplaceAll(cond, "region_code", "o.region_code")+` ORDER BY m.user_name`),
		args...)
	if err != nil {
		return nil, err
	}
	defer mrows.Close()
	for mrows.Next() {
		var id int64
		var name string
		if err := mrows.Scan(&id, &name); err != nil {
			return nil, err
		}
		if o := byID[id]; o != nil {
			o.Members = append(o.Members, name)
		}
	}
	return out, mrows.Err()
}

// CreateOrganisation stores a department of a region in the user's scope.
func (db *DB) CreateOrganisation(ctx context.Context, o *backstop.Organisation) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := writableBy(u, o.Region); err != nil {
		return err
	}
	o.CreatedAt = db.now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO organisations (kind, name, region_code, contact, phone, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			string(o.Kind), o.Name, o.Region, o.Contact, o.Phone, o.CreatedAt).Scan(&o.ID); err != nil {
			return err
		}
		return db.audit(ctx, tx, "organisation.create", "organisation", fmt.Sprint(o.ID), string(o.Kind)+" "+o.Region)
	})
	if backstop.ErrorCode(err) == backstop.ECONFLICT {
		return backstop.Localized(backstop.ECONFLICT, "该区划已有%s", "This region has a %s already.", o.Kind.Name().ZH)
	}
	o.Members = []string{}
	return err
}

// FindOrganisations lists the organisations of the user's region.
func (db *DB) FindOrganisations(ctx context.Context) ([]*backstop.Organisation, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := orgVisible(u, "region_code")
	out, err := db.scanOrgs(ctx, db.read, where(cond), args...)
	if out == nil {
		out = []*backstop.Organisation{}
	}
	return out, db.translate(err)
}

// FindOrganisation returns an organisation of the user's region, or the
// user's own.
func (db *DB) FindOrganisation(ctx context.Context, id int64) (*backstop.Organisation, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := orgVisible(u, "region_code")
	out, err := db.scanOrgs(ctx, db.read, where("id = ?", cond), append([]any{id}, args...)...)
	if err != nil {
		return nil, db.translate(err)
	}
	if len(out) == 0 {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该部门", EN: "The organisation"})
	}
	return out[0], nil
}

// SetMembers replaces an organisation's members: department users whose
// region lies inside the organisation's.
func (db *DB) SetMembers(ctx context.Context, orgID int64, users []string) (*backstop.Organisation, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	o, err := db.FindOrganisation(ctx, orgID)
	if err != nil {
		return nil, backstop.NotInRegion(u, err, "该部门", "the organisation")
	}
	if err := writableBy(u, o.Region); err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var problems []backstop.Problem
		for i, name := range users {
			var role, region string
			var disabled bool
			err := tx.QueryRowContext(ctx, db.q(`SELECT role, region_code, disabled FROM users WHERE name = ?`), name).Scan(&role, &region, &disabled)
			switch {
			case err == sql.ErrNoRows:
				problems = append(problems, backstop.Problem{Path: fmt.Sprintf("members[%d]", i), Reason: "no user " + name, ReasonZH: "没有用户“" + name + "”"})
			case err != nil:
				return err
			case backstop.Role(role) != backstop.RoleDepartment:
				problems = append(problems, backstop.Problem{Path: fmt.Sprintf("members[%d]", i), Reason: name + " is not a department user",
					ReasonZH: "用户“" + name + "”不是部门角色"})
			case !backstop.CodeWithin(region, o.Region):
				problems = append(problems, backstop.Problem{Path: fmt.Sprintf("members[%d]", i), Reason: name + "'s region lies outside the organisation's",
					ReasonZH: "用户“" + name + "”的管辖区划不在该部门范围内"})
			}
		}
		if len(problems) > 0 {
			return &backstop.Error{Code: backstop.EINVALID, Message: "Members: " + problems[0].Reason + ".", ZH: "成员有误：" + problems[0].ReasonZH, Details: problems}
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM organisation_members WHERE org_id = ?`), orgID); err != nil {
			return err
		}
		for _, name := range users {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO organisation_members (org_id, user_name) VALUES (?, ?)`), orgID, name); err != nil {
				if backstop.ErrorCode(db.translate(err)) == backstop.ECONFLICT {
					return backstop.Localized(backstop.ECONFLICT, "用户“%s”已属于另一个部门", "User %s belongs to another organisation already.", name)
				}
				return err
			}
		}
		return db.audit(ctx, tx, "organisation.members", "organisation", fmt.Sprint(orgID), strings.Join(users, ","))
	})
	if err != nil {
		return nil, err
	}
	return db.FindOrganisation(ctx, orgID)
}

// OrganisationOf is the organisation of a user.
func (db *DB) OrganisationOf(ctx context.Context, user string) (*backstop.Organisation, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	out, err := db.scanOrgs(ctx, db.read, ` WHERE id = (SELECT org_id FROM organisation_members WHERE user_name = ?)`, user)
	if err != nil {
		return nil, db.translate(err)
	}
	if len(out) == 0 {
		return nil, backstop.Localized(backstop.ENOTFOUND, "用户“%s”不属于任何部门", "User %s belongs to no organisation.", user)
	}
	return out[0], nil
}

const subscriptionColumns = `s.id, s.org_id, o.name, s.url, s.secret, s.events, s.region_code, s.active, s.stream_id, s.created_at, s.created_by`

func scanSubscription(sc interface{ Scan(...any) error }) (*backstop.Subscription, error) {
	var s backstop.Subscription
	var events string
	if err := sc.Scan(&s.ID, &s.OrgID, &s.OrgName, &s.URL, &s.Secret, &events, &s.Region, &s.Active, &s.StreamID, &s.CreatedAt, &s.CreatedBy); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(events), &s.Events)
	if n := len(s.Secret); n >= 4 {
		s.SecretHint = "…" + s.Secret[n-4:]
	}
	return &s, nil
}

// CreateSubscription stores a subscription of an organisation with its
// stream. The region must lie inside the organisation's.
func (db *DB) CreateSubscription(ctx context.Context, s *backstop.Subscription) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := db.Outbound.CheckURL(s.URL); err != nil {
		return &backstop.Error{Code: backstop.EINVALID, Message: "url: " + backstop.ErrorMessage(err), ZH: "接收地址：" + backstop.ErrorMessageZH(err),
			Details: []backstop.Problem{{Path: "url", Reason: backstop.ErrorMessage(err), ReasonZH: backstop.ErrorMessageZH(err)}}}
	}
	now := db.now().UTC()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var orgRegion string
		if err := tx.QueryRowContext(ctx, db.q(`SELECT region_code FROM organisations WHERE id = ?`), s.OrgID).Scan(&orgRegion); err == sql.ErrNoRows {
			return backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该部门", EN: "The organisation"})
		} else if err != nil {
			return err
		}
		if !backstop.CodeWithin(s.Region, orgRegion) {
			return backstop.Localized(backstop.EFORBIDDEN, "订阅区划%s不在该部门的范围（%s）内", "The subscription's region %s lies outside the organisation's (%s).", s.Region, orgRegion)
		}
		var n int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM subscriptions WHERE org_id = ?`), s.OrgID).Scan(&n); err != nil {
			return err
		}
		if n >= backstop.MaxSubscriptions {
			return backstop.Localized(backstop.ETOOLARGE, "每个部门最多 %d 个订阅", "An organisation has at most %d subscriptions.", backstop.MaxSubscriptions)
		}
		id, err := db.oneID(ctx, tx, "subscriptions")
		if err != nil {
			return err
		}
		stream, err := db.oneID(ctx, tx, "streams")
		if err != nil {
			return err
		}
		if err := db.createStream(ctx, tx, stream, backstop.StreamSubscription, id, backstop.StreamDone, time.Time{}, now); err != nil {
			return err
		}
		s.ID, s.StreamID, s.Active, s.CreatedAt, s.CreatedBy = id, stream, true, now, u.Name
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO subscriptions (id, org_id, url, secret, events, region_code, active, stream_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			id, s.OrgID, s.URL, s.Secret, mustJSON(s.Events), s.Region, true, stream, now, u.Name); err != nil {
			return err
		}
		if n := len(s.Secret); n >= 4 {
			s.SecretHint = "…" + s.Secret[n-4:]
		}
		return db.audit(ctx, tx, "subscription.create", "subscription", fmt.Sprint(id), fmt.Sprintf("organisation %d, %s, %s", s.OrgID, s.Region, strings.Join(s.Events, ",")))
	})
}

// FindSubscriptions lists an organisation's subscriptions (0: all in the
// user's region) with their deliveries by status.
func (db *DB) FindSubscriptions(ctx context.Context, orgID int64) ([]*backstop.Subscription, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := scopeWhere(u, "s.region_code")
	conds := []string{cond}
	if orgID != 0 {
		conds, args = append(conds, "s.org_id = ?"), append(args, orgID)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+subscriptionColumns+` FROM subscriptions s JOIN organisations o ON o.id = s.org_id`+where(conds...)+` ORDER BY s.id`), args...)
	if err != nil {
		return nil, db.translate(err)
	}
	out := []*backstop.Subscription{}
	for rows.Next() {
		s, err := scanSubscription(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.translate(err)
	}
	for _, s := range out {
		if err := db.subscriptionCounts(ctx, s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) subscriptionCounts(ctx context.Context, s *backstop.Subscription) error {
	counts, err := db.StreamCounts(ctx, s.StreamID)
	if err != nil {
		return err
	}
	s.Counts = map[string]int{}
	for _, c := range counts {
		s.Counts[c.Status] += c.N
	}
	return nil
}

// FindSubscription returns a subscription of the user's region.
func (db *DB) FindSubscription(ctx context.Context, id int64) (*backstop.Subscription, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := scopeWhere(u, "s.region_code")
	s, err := scanSubscription(db.read.QueryRowContext(ctx, db.q(`SELECT `+subscriptionColumns+` FROM subscriptions s JOIN organisations o ON o.id = s.org_id`+where("s.id = ?", cond)),
		append([]any{id}, args...)...))
	if err == sql.ErrNoRows {
		return nil, backstop.E(backstop.ENOTFOUND, "notfound.thing", backstop.Named{ZH: "该订阅", EN: "The subscription"})
	} else if err != nil {
		return nil, db.translate(err)
	}
	return s, db.subscriptionCounts(ctx, s)
}

// SetSubscriptionActive pauses or resumes a subscription.
func (db *DB) SetSubscriptionActive(ctx context.Context, id int64, active bool) (*backstop.Subscription, error) {
	s, err := db.FindSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE subscriptions SET active = ? WHERE id = ?`), active, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, "subscription.active", "subscription", fmt.Sprint(id), fmt.Sprint(active))
	})
	if err != nil {
		return nil, err
	}
	s.Active = active
	return s, nil
}

// SubscriptionEndpoint is the URL and secret of a stream's subscription.
func (db *DB) SubscriptionEndpoint(ctx context.Context, streamID int64) (string, string, bool, error) {
	var url, secret string
	var active bool
	err := db.read.QueryRowContext(ctx, db.q(`SELECT url, secret, active FROM subscriptions WHERE stream_id = ?`), streamID).Scan(&url, &secret, &active)
	if err == sql.ErrNoRows {
		return "", "", false, backstop.Localized(backstop.ENOTFOUND, "消息流%d不属于任何订阅", "Stream %d belongs to no subscription.", streamID)
	}
	return url, secret, active, db.translate(err)
}

// PublishEvent records an event once per type and subject and writes a
// delivery of it to every active subscription that wants it, in one
// transaction. Each subscription's row is locked (bumped) before its
// batch is numbered, so that two events published at once are numbered
// in the order they commit: a receiver gets them in that order.
func (db *DB) PublishEvent(ctx context.Context, e *backstop.SharedEvent, body func(e *backstop.SharedEvent, s *backstop.Subscription) (string, error)) ([]backstop.OutboxBatch, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	if len(e.Data) == 0 {
		e.Data = json.RawMessage("{}")
	}
	var out []backstop.OutboxBatch
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		out = nil
		err := tx.QueryRowContext(ctx, db.q(`INSERT INTO shared_events (type, subject, regions, occurred_at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (type, subject) DO NOTHING RETURNING id`),
			e.Type, e.Subject, mustJSON(e.Regions), e.OccurredAt.UTC(), string(e.Data)).Scan(&e.ID)
		if err == sql.ErrNoRows {
			return nil // published before: a replay of the same source
		} else if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, db.q(`SELECT `+subscriptionColumns+` FROM subscriptions s JOIN organisations o ON o.id = s.org_id WHERE s.active = ? ORDER BY s.id`), true)
		if err != nil {
			return err
		}
		var subs []*backstop.Subscription
		for rows.Next() {
			s, err := scanSubscription(rows)
			if err != nil {
				rows.Close()
				return err
			}
			if s.Wants(e) {
				subs = append(subs, s)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := db.now().UTC()
		for _, s := range subs {
			text, err := body(e, s)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE subscriptions SET events_written = events_written + 1 WHERE id = ?`), s.ID); err != nil {
				return err
			}
			m := &backstop.Message{Channel: backstop.ChannelWebhook, Audience: backstop.AudienceSubscribers, Address: s.URL, Name: e.Type, NextAt: now}
			batch, _, err := db.addMessages(ctx, nil, tx, s.StreamID, backstop.ChannelWebhook, text, []*backstop.Message{m}, false)
			if err != nil {
				return err
			}
			out = append(out, backstop.OutboxBatch{StreamID: s.StreamID, Batch: batch})
		}
		return nil
	})
	return out, err
}

// FindDeliveries pages a subscription's deliveries, newest first.
func (db *DB) FindDeliveries(ctx context.Context, subscriptionID int64, offset, limit int) ([]*backstop.Delivery, int, error) {
	s, err := db.FindSubscription(ctx, subscriptionID)
	if err != nil {
		return nil, 0, err
	}
	total := 0
	for _, n := range s.Counts {
		total += n
	}
	var lo, hi int64
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT first_message, last_message FROM streams WHERE id = ?`), s.StreamID).Scan(&lo, &hi); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, name, status, attempts, error, next_at, sent_at, delivered_at FROM messages WHERE id BETWEEN ? AND ? AND stream_id = ?
 ORDER BY id DESC LIMIT ? OFFSET ?`), lo, hi, s.StreamID, pageLimit(limit), offset)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Delivery{}
	for rows.Next() {
		var d backstop.Delivery
		var next sql.NullTime
		var sent, delivered sql.NullTime
		if err := rows.Scan(&d.ID, &d.Event, &d.Status, &d.Attempts, &d.Error, &next, &sent, &delivered); err != nil {
			return nil, 0, err
		}
		d.Key = backstop.MessageKey(s.StreamID, d.ID)
		if d.Status == backstop.MessagePending {
			d.NextAt = timePtr(next)
		}
		d.SentAt, d.DeliveredAt = timePtr(sent), timePtr(delivered)
		out = append(out, &d)
	}
	return out, total, db.translate(rows.Err())
}

const pushColumns = `id, org_id, key, kind, region_code, household, data, body_sha256, destination, state, target, assignee, received_at, pushed_by`

func scanPush(sc interface{ Scan(...any) error }) (*backstop.InboundPush, error) {
	var p backstop.InboundPush
	var data string
	if err := sc.Scan(&p.ID, &p.OrgID, &p.Key, &p.Kind, &p.Region, &p.Household, &data, &p.BodySHA256, &p.Destination, &p.State, &p.Target, &p.Assignee, &p.ReceivedAt, &p.PushedBy); err != nil {
		return nil, err
	}
	p.Data = json.RawMessage(data)
	return &p, nil
}

// RecordPush stores a push once per organisation and key. A replay with
// the same body answers the stored record; another body under the key is
// ECONFLICT. The region must lie inside the organisation's.
func (db *DB) RecordPush(ctx context.Context, p *backstop.InboundPush) (*backstop.InboundPush, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	var out *backstop.InboundPush
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var orgRegion string
		if err := tx.QueryRowContext(ctx, db.q(`SELECT region_code FROM organisations WHERE id = ?`), p.OrgID).Scan(&orgRegion); err != nil {
			return err
		}
		if !backstop.CodeWithin(p.Region, orgRegion) {
			return backstop.Localized(backstop.EFORBIDDEN, "推送的区划%s不在本部门的范围（%s）内", "The push's region %s lies outside the organisation's (%s).", p.Region, orgRegion)
		}
		existing, err := scanPush(tx.QueryRowContext(ctx, db.q(`SELECT `+pushColumns+` FROM inbound_pushes WHERE org_id = ? AND key = ?`), p.OrgID, p.Key))
		if err == nil {
			if existing.BodySHA256 != p.BodySHA256 {
				return backstop.Localized(backstop.ECONFLICT, "幂等键“%s”已用于另一条不同内容的推送", "Idempotency key %q was used for a different push.", p.Key)
			}
			existing.Replayed = true
			out = existing
			return nil
		} else if err != sql.ErrNoRows {
			return err
		}
		p.ReceivedAt, p.PushedBy = db.now().UTC(), u.Name
		if err := tx.QueryRowContext(ctx, db.q(`INSERT INTO inbound_pushes (org_id, key, kind, region_code, household, data, body_sha256, destination, state, target, assignee, received_at, pushed_by)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), p.OrgID, p.Key, string(p.Kind), p.Region, p.Household, string(p.Data), p.BodySHA256, p.Destination, p.State, p.Target,
			p.Assignee, p.ReceivedAt, p.PushedBy).Scan(&p.ID); err != nil {
			return err
		}
		out = p
		return db.audit(ctx, tx, "push.receive", "push", fmt.Sprint(p.ID), fmt.Sprintf("organisation %d, %s, %s, key %s", p.OrgID, p.Kind, p.Region, p.Key))
	})
	if backstop.ErrorKey(err) == "conflict.exists" && out == nil {
		// Two deliveries of one push at once: the other committed first.
		return db.RecordPush(ctx, p)
	}
	return out, err
}

// FindPushes pages pushes: an organisation's (0: all in the user's
// region), newest first.
func (db *DB) FindPushes(ctx context.Context, orgID int64, kind backstop.PushKind, offset, limit int) ([]*backstop.InboundPush, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	cond, args := scopeWhere(u, "region_code")
	conds := []string{cond}
	if orgID != 0 {
		conds, args = append(conds, "org_id = ?"), append(args, orgID)
	}
	if kind != "" {
		conds, args = append(conds, "kind = ?"), append(args, string(kind))
	}
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM inbound_pushes`+where(conds...)), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+pushColumns+` FROM inbound_pushes`+where(conds...)+` ORDER BY id DESC LIMIT ? OFFSET ?`), append(args, pageLimit(limit), offset)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.InboundPush{}
	for rows.Next() {
		p, err := scanPush(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, total, db.translate(rows.Err())
}

// RoutePush marks a received push as landed where it belongs.
func (db *DB) RoutePush(ctx context.Context, id int64, target string) error {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE inbound_pushes SET state = 'routed', target = ? WHERE id = ? AND state = 'received'`), target, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return backstop.E(backstop.ECONFLICT, "conflict.changed", backstop.Named{ZH: "该报送", EN: "The push"})
		}
		return db.audit(ctx, tx, "push.route", "push", fmt.Sprint(id), target)
	})
}

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// ScanExposedRecipients streams a snapshot's households with their
// members in household id order (the order they are stored in, so that a
// release of a million households reads the registry sequentially rather
// than hopping through it in rank order), within the user's region.
func (db *DB) ScanExposedRecipients(ctx context.Context, snapshotID int64, fn func(*backstop.ExposedRecipient) error) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermReadRegistry); err != nil {
		return err
	}
	cond, args := "snapshot_id = ?", []any{snapshotID}
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		cond, args = cond+" AND village_code BETWEEN ? AND ?", append(args, lo, hi)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT household_id, rank FROM exposure_households WHERE `+cond), args...)
	if err != nil {
		return db.translate(err)
	}
	type exposed struct {
		id   int64
		rank int
	}
	var hs []exposed
	for rows.Next() {
		var e exposed
		if err := rows.Scan(&e.id, &e.rank); err != nil {
			rows.Close()
			return err
		}
		hs = append(hs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].id < hs[j].id })
	cutoff := db.elderlyCutoff(db.now())
	// load runs one pair of queries over a stretch of exposed households
	// (households in id order, then the members of the key-group ones)
	// and returns the exposed ones; a range also returns the households
	// between them, which are skipped.
	load := func(where string, args []any, part []exposed) ([]*backstop.ExposedRecipient, error) {
		hrows, err := db.read.QueryContext(ctx, db.q(`SELECT h.id, h.number, h.village_code, h.groups, h.people, h.youngest_birth, h.head_name, h.phone, h.helper_name, h.helper_phone
 FROM households h WHERE `+where+` AND NOT h.deleted ORDER BY h.id`), args...)
		if err != nil {
			return nil, err
		}
		var batch []*backstop.ExposedRecipient
		k := 0
		for hrows.Next() {
			var r backstop.ExposedRecipient
			var groups int64
			var people int
			var youngest string
			if err := hrows.Scan(&r.HouseholdID, &r.Number, &r.VillageCode, &groups, &people, &youngest, &r.HeadName, &r.Phone, &r.HelperName, &r.HelperPhone); err != nil {
				hrows.Close()
				return nil, err
			}
			for k < len(part) && part[k].id < r.HouseholdID {
				k++
			}
			if k == len(part) || part[k].id != r.HouseholdID {
				continue // between exposed households
			}
			r.Rank = part[k].rank
			r.Groups = backstop.Group(groups)
			if people == 1 && youngest != "" && youngest <= cutoff {
				r.Groups |= backstop.GroupElderlyAlone
			}
			batch = append(batch, &r)
		}
		hrows.Close()
		if err := hrows.Err(); err != nil {
			return nil, err
		}
		// Members matter only in key-group households (their people get
		// messages and tasks); the others are reached by the household's
		// phone, so most members are never read. By id list: a join
		// chosen by the planner can turn into a scan of every member.
		var keyIDs []any
		for _, r := range batch {
			if r.Groups&backstop.KeyGroups != 0 {
				keyIDs = append(keyIDs, r.HouseholdID)
			}
		}
		if len(keyIDs) == 0 {
			return batch, nil
		}
		mrows, err := db.read.QueryContext(ctx, db.q(`SELECT m.household_id, m.id, m.name, m.phone, m.disabled FROM members m WHERE m.household_id IN (?`+strings.Repeat(",?", len(keyIDs)-1)+
			`) ORDER BY m.household_id, m.id`), keyIDs...)
		if err != nil {
			return nil, err
		}
		defer mrows.Close()
		k = 0
		for mrows.Next() {
			var hid int64
			var m backstop.RecipientMember
			if err := mrows.Scan(&hid, &m.ID, &m.Name, &m.Phone, &m.Disabled); err != nil {
				return nil, err
			}
			for k < len(batch) && batch[k].HouseholdID < hid {
				k++
			}
			if k < len(batch) && batch[k].HouseholdID == hid {
				batch[k].Members = append(batch[k].Members, m)
			}
		}
		return batch, mrows.Err()
	}
	// Plan the stretches: dense ones (a warning covers neighbours, stored
	// together) as id ranges, scattered households as lists of ids.
	type stretch struct {
		where string
		args  []any
		part  []exposed
	}
	var plan []stretch
	var sparse []exposed
	flushSparse := func() {
		if len(sparse) == 0 {
			return
		}
		ids := make([]any, len(sparse))
		for i, e := range sparse {
			ids[i] = e.id
		}
		plan = append(plan, stretch{`h.id IN (?` + strings.Repeat(",?", len(ids)-1) + `)`, ids, sparse})
		sparse = nil
	}
	for i := 0; i < len(hs); {
		j := i
		for j+1 < len(hs) && j+1-i < 5000 && hs[j+1].id-hs[i].id <= 2*int64(j+1-i)+64 {
			j++
		}
		if j-i+1 >= 64 {
			flushSparse()
			plan = append(plan, stretch{`h.id BETWEEN ? AND ?`, []any{hs[i].id, hs[j].id}, hs[i : j+1]})
		} else {
			sparse = append(sparse, hs[i:j+1]...)
			if len(sparse) >= 500 {
				flushSparse()
			}
		}
		i = j + 1
	}
	flushSparse()
	// Two stretches are fetched ahead on their own connections while the
	// caller works through the one before: the database's time and the
	// caller's overlap.
	type loaded struct {
		rs  []*backstop.ExposedRecipient
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]chan loaded, len(plan))
	for i := range results {
		results[i] = make(chan loaded, 1)
	}
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range plan {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	ahead := make(chan struct{}, 3) // stretches loaded but not yet handed on
	for range 2 {
		go func() {
			for i := range next {
				select {
				case ahead <- struct{}{}:
				case <-ctx.Done():
					return
				}
				rs, err := load(plan[i].where, plan[i].args, plan[i].part)
				results[i] <- loaded{rs, err}
			}
		}()
	}
	for i := range plan {
		var l loaded
		select {
		case l = <-results[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-ahead
		if l.err != nil {
			return db.translate(l.err)
		}
		for _, r := range l.rs {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

const releaseColumns = `r.id, r.stream_id, r.warning_id, r.snapshot_id, r.audiences, r.channels, COALESCE(r.template_id, 0), r.text, r.test, s.state, r.basis, r.deadline,
 r.policy_ids, r.counts, r.created_by, r.created_at`

const releaseFrom = ` FROM releases r JOIN streams s ON s.id = r.stream_id`

func scanRelease(sc interface{ Scan(...any) error }) (*backstop.Release, error) {
	var r backstop.Release
	var audiences, channels, policies, counts string
	if err := sc.Scan(&r.ID, &r.StreamID, &r.WarningID, &r.SnapshotID, &audiences, &channels, &r.TemplateID, &r.Text, &r.Test, &r.State, &r.Basis, &r.Deadline,
		&policies, &counts, &r.CreatedBy, &r.CreatedAt); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(audiences), &r.Audiences)
	json.Unmarshal([]byte(channels), &r.Channels)
	json.Unmarshal([]byte(policies), &r.PolicyIDs)
	json.Unmarshal([]byte(counts), &r.Counts)
	r.Unused = backstop.UnusedChannels(r.Audiences, r.Channels)
	return &r, nil
}

// releaseWriter writes a release's texts, messages and tasks inside the
// transaction that stores the release.
type releaseWriter struct {
	outboxWriter
	release  *backstop.Release
	taskCopy *copyTable
}

var taskColumns = []string{"kind", "stream_id", "household_id", "member_id", "person_name", "phone", "groups", "village_code", "assignee", "assignee_phone", "due_at"}

func (w *releaseWriter) AddTasks(ctx context.Context, ts []*backstop.FieldTask) error {
	rows := make([][]any, len(ts))
	for i, t := range ts {
		t.StreamID, t.ReleaseID = w.release.StreamID, w.release.ID
		if t.Kind == "" {
			t.Kind = backstop.TaskConfirm
		}
		var member any
		if t.MemberID != 0 {
			member = t.MemberID
		}
		rows[i] = []any{string(t.Kind), t.StreamID, t.HouseholdID, member, t.PersonName, t.Phone, int64(groupsOf(t.Groups)), t.VillageCode, t.Assignee, t.AssigneePhone, t.Due.UTC()}
	}
	return w.db.bulkInsert(ctx, w.conn, w.tx, &w.taskCopy, "field_tasks", taskColumns, rows)
}

func groupsOf(names []string) backstop.Group {
	var g backstop.Group
	for _, n := range names {
		if one, err := backstop.ParseGroup(n); err == nil {
			g |= one
		}
	}
	return g
}

// CreateRelease stores the release, its stream, its confirmation clock
// and everything fill writes, with the outbox batches of its pending
// messages, in one transaction.
func (db *DB) CreateRelease(ctx context.Context, r *backstop.Release, linksExpire time.Time, c *backstop.Clock, fill func(backstop.ReleaseWriter) error) error {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return err
	}
	// The dispatcher's clock, when it gives one, so that batches are due
	// by the same clock that sends them.
	now := r.CreatedAt.UTC()
	if r.CreatedAt.IsZero() {
		now = db.now().UTC()
	}
	r.CreatedBy, r.CreatedAt = u.Name, now
	if r.State == "" {
		r.State = backstop.StreamSending
	}
	audiences, _ := json.Marshal(r.Audiences)
	channels, _ := json.Marshal(r.Channels)
	policies, _ := json.Marshal(nonNilIDs(r.PolicyIDs))
	var template any
	if r.TemplateID != 0 {
		template = r.TemplateID
	}
	return db.inConnTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		var err error
		if r.ID, err = db.oneID(ctx, tx, "releases"); err != nil {
			return err
		}
		if r.StreamID, err = db.oneID(ctx, tx, "streams"); err != nil {
			return err
		}
		// Until its messages are written a release has nothing to send.
		if err := db.createStream(ctx, tx, r.StreamID, backstop.StreamRelease, r.ID, backstop.StreamDone, linksExpire, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO releases (id, stream_id, warning_id, snapshot_id, audiences, channels, template_id, text, test, basis, deadline, policy_ids, counts, created_by, created_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?)`), r.ID, r.StreamID, r.WarningID, r.SnapshotID, string(audiences), string(channels), template, r.Text, r.Test, r.Basis,
			r.Deadline.UTC(), string(policies), u.Name, now); err != nil {
			return err
		}
		if c != nil {
			c.Subject = fmt.Sprintf("release:%d", r.ID)
			if c.Region == "" {
				c.Region = u.Region
			}
			if err := db.insertClock(ctx, tx, c); err != nil {
				return err
			}
		}
		w := &releaseWriter{outboxWriter: outboxWriter{db: db, conn: conn, tx: tx, streamID: r.StreamID}, release: r}
		if err := fill(w); err != nil {
			return err
		}
		counts, _ := json.Marshal(r.Counts)
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE releases SET counts = ? WHERE id = ?`), string(counts), r.ID); err != nil {
			return err
		}
		if err := w.finish(ctx, now); err != nil {
			return err
		}
		if len(w.batches) == 0 {
			r.State = backstop.StreamDone
		} else {
			r.State = backstop.StreamSending
		}
		detail := fmt.Sprintf("warning %d, audiences %s, channels %s, test %t", r.WarningID, strings.Join(r.Audiences, ","), strings.Join(r.Channels, ","), r.Test)
		// The release belongs where it speaks, its clock's region: a city
		// officer's release on a county's warning is the county auditor's
		// to read too.
		region := u.Region
		if c != nil && c.Region != "" {
			region = c.Region
		}
		return db.auditIn(ctx, tx, region, "release.create", "release", fmt.Sprint(r.ID), detail)
	})
}

func nonNilIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// FindRelease returns one release.
func (db *DB) FindRelease(ctx context.Context, id int64) (*backstop.Release, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	r, err := scanRelease(db.read.QueryRowContext(ctx, db.q(`SELECT `+releaseColumns+releaseFrom+` WHERE r.id = ?`), id))
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到第%d次发布", "Release %d not found.", id)
	}
	return r, db.translate(err)
}

// FindReleaseByStream returns the release a stream belongs to.
func (db *DB) FindReleaseByStream(ctx context.Context, streamID int64) (*backstop.Release, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	r, err := scanRelease(db.read.QueryRowContext(ctx, db.q(`SELECT `+releaseColumns+releaseFrom+` WHERE r.stream_id = ?`), streamID))
	if err == sql.ErrNoRows {
		return nil, backstop.Localized(backstop.ENOTFOUND, "找不到发送流%d所属的发布", "No release has stream %d.", streamID)
	}
	return r, db.translate(err)
}

// FindReleases lists a warning's releases, newest first (all when
// warningID is 0).
func (db *DB) FindReleases(ctx context.Context, warningID int64) ([]*backstop.Release, error) {
	if _, err := backstop.RequireUser(ctx); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+releaseColumns+releaseFrom+` WHERE r.warning_id = ? OR ? = 0 ORDER BY r.id DESC LIMIT 200`), warningID, warningID)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Release{}
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindReleasePage pages releases across warnings, newest first; outside
// the national scope, those with tasks in the user's region (the tasks'
// (stream, village) index answers it).
func (db *DB) FindReleasePage(ctx context.Context, f backstop.ReleaseFilter) ([]*backstop.Release, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.WarningID != 0 {
		where, args = append(where, "r.warning_id = ?"), append(args, f.WarningID)
	}
	if f.State != "" {
		where, args = append(where, "s.state = ?"), append(args, f.State)
	}
	switch f.Test {
	case "only":
		where = append(where, "r.test = ?")
		args = append(args, true)
	case "none":
		where = append(where, "r.test = ?")
		args = append(args, false)
	}
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		// A release concerns the villages its exposure snapshot holds,
		// whether or not they had key-group persons to confirm.
		where, args = append(where, "EXISTS (SELECT 1 FROM exposure_villages ev WHERE ev.snapshot_id = r.snapshot_id AND ev.village_code BETWEEN ? AND ?)"), append(args, lo, hi)
	}
	cond := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*)`+releaseFrom+cond), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	if f.Limit <= 0 || f.Limit > MaxPageSize {
		f.Limit = 50
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+releaseColumns+releaseFrom+cond+` ORDER BY r.id DESC LIMIT ? OFFSET ?`), append(args, f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.Release{}
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// ReleaseStats computes a release's dashboard: messages by channel,
// audience and status (no personal data, so for the whole release),
// delivery times, and confirmation figures within the user's region.
func (db *DB) ReleaseStats(ctx context.Context, id int64) (*backstop.ReleaseStats, error) {
	r, err := db.FindRelease(ctx, id)
	if err != nil {
		return nil, err
	}
	u, _ := backstop.RequireUser(ctx)
	now := db.now().UTC()
	st := &backstop.ReleaseStats{ReleaseID: id, ComputedAt: now, Villages: []backstop.VillageConfirmation{}}
	// Outside the national scope every figure is the user's region's:
	// the messages to its villages (officers' and groups' messages, which
	// carry no village, are the releaser's), as the tasks below.
	scoped := u != nil && u.Region != backstop.NationalScope
	var lo, hi string
	var first, last int64
	if scoped {
		lo, hi = backstop.CodeRange(u.Region)
		if err := db.read.QueryRowContext(ctx, db.q(`SELECT first_message, last_message FROM streams WHERE id = ?`), r.StreamID).Scan(&first, &last); err != nil {
			return nil, db.translate(err)
		}
		if st.Messages, err = db.regionCounts(ctx, r.StreamID, first, last, lo, hi); err != nil {
			return nil, err
		}
	} else if st.Messages, err = db.StreamCounts(ctx, r.StreamID); err != nil {
		return nil, err
	}
	total := 0
	for _, c := range st.Messages {
		if c.Status != backstop.MessageSimulated {
			total += c.N
		}
	}
	// Delivery times: the first delivered, and the one that makes 90 %.
	if total > 0 {
		q, qargs := `SELECT delivered_at FROM messages WHERE stream_id = ? AND delivered_at IS NOT NULL ORDER BY delivered_at LIMIT 1 OFFSET ?`, []any{r.StreamID}
		if scoped {
			q, qargs = `SELECT delivered_at FROM messages WHERE id BETWEEN ? AND ? AND stream_id = ? AND village_code BETWEEN ? AND ? AND delivered_at IS NOT NULL ORDER BY delivered_at LIMIT 1 OFFSET ?`,
				[]any{first, last, r.StreamID, lo, hi}
		}
		for _, x := range []struct {
			offset int
			dst    **float64
		}{{0, &st.FirstDelivered}, {(total*9+9)/10 - 1, &st.NinetyDelivered}} {
			var at anyTime
			err := db.read.QueryRowContext(ctx, db.q(q), append(qargs, x.offset)...).Scan(&at)
			if err == sql.ErrNoRows {
				continue
			} else if err != nil {
				return nil, db.translate(err)
			}
			s := at.t.Sub(r.CreatedAt).Seconds()
			*x.dst = &s
		}
	}
	cond, args := "t.stream_id = ?", []any{r.StreamID}
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		cond, args = cond+" AND t.village_code BETWEEN ? AND ?", append(args, lo, hi)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT t.village_code, COALESCE(v.name, ''), count(*),
 SUM(CASE WHEN t.outcome <> '' AND t.outcome <> ? THEN 1 ELSE 0 END),
 SUM(CASE WHEN t.outcome = ? THEN 1 ELSE 0 END),
 SUM(CASE WHEN t.outcome = '' AND t.due_at < ? THEN 1 ELSE 0 END),
 SUM(CASE WHEN t.escalation > 0 THEN 1 ELSE 0 END)
 FROM field_tasks t LEFT JOIN regions v ON v.code = t.village_code WHERE `+cond+` GROUP BY t.village_code, v.name ORDER BY t.village_code`),
		append([]any{backstop.NotReachable, backstop.NotReachable, now}, args...)...)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v backstop.VillageConfirmation
		var unreachable, overdue, escalated int
		if err := rows.Scan(&v.Code, &v.Name, &v.Total, &v.Confirmed, &unreachable, &overdue, &escalated); err != nil {
			return nil, err
		}
		st.Villages = append(st.Villages, v)
		st.Tasks.Total += v.Total
		st.Tasks.Confirmed += v.Confirmed
		st.Tasks.Unreachable += unreachable
		st.Tasks.Overdue += overdue
		st.Tasks.Escalated += escalated
	}
	st.Tasks.Open = st.Tasks.Total - st.Tasks.Confirmed - st.Tasks.Unreachable
	return st, rows.Err()
}

// regionCounts counts a stream's messages to villages in lo..hi by
// channel, audience and status: a region's share of a release.
func (db *DB) regionCounts(ctx context.Context, streamID, first, last int64, lo, hi string) ([]backstop.MessageCount, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT channel, audience, status, count(*) FROM messages WHERE id BETWEEN ? AND ? AND stream_id = ? AND village_code BETWEEN ? AND ?
 GROUP BY channel, audience, status ORDER BY channel, audience, status`), first, last, streamID, lo, hi)
	if err != nil {
		return nil, db.translate(err)
	}
	defer rows.Close()
	out := []backstop.MessageCount{}
	for rows.Next() {
		var c backstop.MessageCount
		if err := rows.Scan(&c.Channel, &c.Audience, &c.Status, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UntaskedFailures lists a release's failed messages that no
// confirmation task follows up (a household's public SMS, an officer's,
// a group robot's, a loudspeaker's), newest first, with their reason, in
// the user's region (all for the national scope); addresses masked.
func (db *DB) UntaskedFailures(ctx context.Context, releaseID int64, limit int) ([]*backstop.FailedMessage, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	r, err := db.FindRelease(ctx, releaseID)
	if err != nil {
		return nil, 0, err
	}
	var first, last int64
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT first_message, last_message FROM streams WHERE id = ?`), r.StreamID).Scan(&first, &last); err != nil {
		return nil, 0, db.translate(err)
	}
	cond, args := `m.id BETWEEN ? AND ? AND m.stream_id = ? AND m.status = ? AND NOT EXISTS (SELECT 1 FROM field_tasks t WHERE t.stream_id = m.stream_id AND t.household_id = m.household_id)`,
		[]any{first, last, r.StreamID, backstop.MessageFailed}
	if u.Region != backstop.NationalScope {
		lo, hi := backstop.CodeRange(u.Region)
		cond, args = cond+" AND m.village_code BETWEEN ? AND ?", append(args, lo, hi)
	}
	var total int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM messages m WHERE `+cond), args...).Scan(&total); err != nil {
		return nil, 0, db.translate(err)
	}
	if limit <= 0 || limit > MaxPageSize {
		limit = 100
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT m.id, m.channel, m.audience, m.name, m.address, m.village_code, m.error, m.attempts FROM messages m WHERE `+cond+` ORDER BY m.id DESC LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, 0, db.translate(err)
	}
	defer rows.Close()
	out := []*backstop.FailedMessage{}
	for rows.Next() {
		f := &backstop.FailedMessage{}
		if err := rows.Scan(&f.ID, &f.Channel, &f.Audience, &f.Name, &f.Address, &f.Village, &f.Reason, &f.Attempts); err != nil {
			return nil, 0, err
		}
		f.Address = maskedAddress(f.Channel, f.Address)
		f.Reason = backstop.RedactSecrets(f.Reason)
		out = append(out, f)
	}
	return out, total, rows.Err()
}

// maskedAddress is a message's address as lists show it: a phone masked,
// a robot by its host, a terminal group or mailbox as it is.
func maskedAddress(channel, address string) string {
	switch channel {
	case backstop.ChannelSMS:
		return backstop.MaskPhone(address)
	case backstop.ChannelWeCom:
		if i := strings.Index(address, "://"); i >= 0 {
			host := address[i+3:]
			if j := strings.IndexAny(host, "/?"); j >= 0 {
				host = host[:j]
			}
			return host
		}
		return backstop.Redacted
	}
	return address
}

package alerting

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/capalert"
)

// quarantine keeps a refused feed alert with the reasons and returns the
// poll error that tells of it. The same document polled again is not
// stored twice.
func (s *Service) quarantine(ctx context.Context, f *backstop.Feed, entryID, from string, doc []byte, refusal error) error {
	q := &backstop.QuarantinedAlert{FeedID: f.ID, EntryID: entryID, URL: from, Document: doc,
		Code: backstop.ErrorCode(refusal), Message: backstop.ErrorMessage(refusal), Problems: backstop.ErrorDetails(refusal)}
	var be *backstop.Error
	if errors.As(refusal, &be) {
		q.MessageZH = be.ZH
	}
	// What can be read of the alert tells it apart in lists.
	if lr, _, err := capalert.ParseLenient(doc); err == nil {
		q.Sender, q.Identifier = lr.Alert.Sender, lr.Alert.Identifier
		if !lr.Alert.Sent.IsZero() {
			q.Sent = capalert.FormatTime(lr.Alert.Sent)
		}
	}
	err := s.Store.CreateQuarantinedAlert(ctx, q)
	switch backstop.ErrorCode(err) {
	case "", backstop.ECONFLICT:
		return fmt.Errorf("entry %s refused (quarantined as %d): %s", entryID, q.ID, backstop.ErrorMessage(refusal))
	default:
		s.logger().Error("quarantine", "feed", f.ID, "entry", entryID, "err", err)
		return fmt.Errorf("entry %s refused, and could not be quarantined: %s", entryID, backstop.ErrorMessage(refusal))
	}
}

// AcceptQuarantined ingests a quarantined alert with the area an
// administrator gives (region codes, a polygon drawn on the map, a
// circle) in place of the publisher's, in every <info>, and marks the
// quarantined alert accepted with the warning it became. The alert then
// goes the way of every other: regions resolved, updates and cancels
// applied, exposure computed. The warning's document is backstop's own
// writing of the alert with the new area; the publisher's stays in the
// quarantine.
//
// Only the area is replaced: an alert that breaks other rules (no scope,
// a bad identifier) is still refused, with those reasons. A document kept
// cut (larger than the limit) cannot be accepted. Accepting needs
// backstop.PermResolveQuarantine (admins only); an alert accepted or
// dismissed already is ECONFLICT, and of two administrators accepting at
// once, one gets ECONFLICT.
func (s *Service) AcceptQuarantined(ctx context.Context, id int64, area InputArea) (*backstop.Warning, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermResolveQuarantine); err != nil {
		return nil, err
	}
	q, err := s.Store.FindQuarantinedAlert(ctx, id)
	if err != nil {
		// Looked up inside the admin's region: one elsewhere answers as
		// one that does not exist.
		return nil, backstop.NotInRegion(u, err, fmt.Sprintf("隔离的预警%d", id), fmt.Sprintf("quarantined alert %d", id))
	}
	if q.State != backstop.QuarantineOpen {
		return nil, backstop.Localized(backstop.ECONFLICT, "隔离的预警 %d 已由 %s 处理（%s）", "Quarantined alert %d was resolved already by %s (%s).", id, q.ResolvedBy, backstop.Term(backstop.TermQuarantineState, q.State))
	}
	if q.Truncated {
		return nil, backstop.Localized(backstop.EINVALID, "隔离的预警 %d 只保存了前 %d 字节（原文 %d 字节），无法接收", "Quarantined alert %d is kept cut to %d of its %d bytes and cannot be accepted.", id, len(q.Document), q.Size)
	}
	lr, _, err := capalert.ParseLenient(q.Document)
	if err != nil {
		e := &backstop.Error{Code: backstop.EINVALID, Message: "The quarantined document cannot be read as CAP at all: " + backstop.ErrorMessage(err),
			ZH: "隔离的文档无法作为 CAP 读取：" + backstop.ErrorMessageZH(err), Details: backstop.ErrorDetails(err)}
		return nil, e
	}
	a := lr.Alert
	if len(a.Infos) == 0 {
		return nil, backstop.Localized(backstop.EINVALID, "该预警没有 <info>，无法为其指定区域", "The alert has no <info> to give an area to.")
	}
	ca, _, probs := area.capArea(ctx, s.Store, "area")
	if len(probs) > 0 {
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: "The area is not usable: " + probs[0].String(), ZH: "给定的区域有误：" + probs[0].ReasonZH, Details: probs}
	}
	for i := range a.Infos {
		a.Infos[i].Areas = []capalert.Area{ca}
	}
	doc := capalert.Marshal(a)
	res, err := capalert.Parse(doc)
	if err != nil {
		ds := backstop.ErrorDetails(err)
		e := &backstop.Error{Code: backstop.EINVALID, Message: "With the area given, the alert still breaks CAP rules: " + backstop.ErrorMessage(err),
			ZH: "即使指定了区域，该预警仍不符合 CAP 标准：" + backstop.ErrorMessageZH(err), Details: ds}
		return nil, e
	}
	w, refs := FromCAP(res.Alert)
	w.Source = fmt.Sprintf("feed:%d", q.FeedID)
	w.CAP = doc
	why, whyZH := q.Message, q.MessageZH
	if len(q.Problems) > 0 {
		why, whyZH = q.Problems[0].String(), q.Problems[0].Path+"："+q.Problems[0].ReasonZH
	}
	w.Notes = append([]backstop.Problem{{Path: "alert/info/area",
		Reason:   fmt.Sprintf("accepted from quarantine %d by %s with an area given by hand; the publisher's alert was refused: %s", id, u.Name, why),
		ReasonZH: fmt.Sprintf("由 %s 从隔离区（编号 %d）人工指定区域后接收；发布方原文被拒收的原因：%s", u.Name, id, whyZH)}}, res.Warnings...)
	stored, err := s.store(ctx, w, refs)
	switch {
	case err == nil:
	case backstop.ErrorCode(err) == backstop.ECONFLICT && stored != nil && bytes.Equal(stored.CAP, doc):
		// This very acceptance was stored before and the quarantine was
		// not marked (a crash between the two, or another administrator
		// accepting the same way at the same moment): mark it now.
		w = stored
	case backstop.ErrorCode(err) == backstop.ECONFLICT && stored != nil:
		return nil, backstop.Localized(backstop.ECONFLICT, "该预警已作为预警 %d 存储（发布方的另一份文档）；请驳回此隔离记录", "The alert is stored already as warning %d (from another copy of it); dismiss the quarantined one.", stored.ID)
	default:
		return nil, err
	}
	if _, err := s.Store.ResolveQuarantinedAlert(ctx, id, backstop.QuarantineResolution{State: backstop.QuarantineAccepted, WarningID: w.ID, Note: ca.Desc}); err != nil {
		return nil, err
	}
	return w, nil
}

// DismissQuarantined marks a quarantined alert as looked at and left out,
// with the administrator's note. Needs backstop.PermResolveQuarantine; one
// resolved already is ECONFLICT.
func (s *Service) DismissQuarantined(ctx context.Context, id int64, note string) (*backstop.QuarantinedAlert, error) {
	return s.Store.ResolveQuarantinedAlert(ctx, id, backstop.QuarantineResolution{State: backstop.QuarantineDismissed, Note: note})
}

package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/dispatch"
)

// PathID reads the numeric {id} of a path; what names it in the error.
func PathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, backstop.Errorf(backstop.ENOTFOUND, "%s %q not found.", what, r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) dispatcher() (*dispatch.Service, error) {
	if s.cfg.Dispatch == nil {
		return nil, backstop.Errorf(backstop.EUNAVAILABLE, "Targeted release is not enabled in this process.")
	}
	return s.cfg.Dispatch, nil
}

// releaseInput reads a release request for the warning in the path.
func (s *Server) releaseInput(w http.ResponseWriter, r *http.Request) (*dispatch.Service, int64, dispatch.Request, error) {
	var req dispatch.Request
	d, err := s.dispatcher()
	if err != nil {
		return nil, 0, req, err
	}
	id, err := warningID(r)
	if err != nil {
		return nil, 0, req, err
	}
	return d, id, req, decodeJSON(w, r, &req)
}

func (s *Server) previewRelease(w http.ResponseWriter, r *http.Request) error {
	d, id, req, err := s.releaseInput(w, r)
	if err != nil {
		return err
	}
	p, err := d.Preview(r.Context(), id, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) createRelease(w http.ResponseWriter, r *http.Request) error {
	d, id, req, err := s.releaseInput(w, r)
	if err != nil {
		return err
	}
	rel, err := d.Create(r.Context(), id, req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/releases/%d", rel.ID))
	writeJSON(w, http.StatusCreated, rel)
	return nil
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request) error {
	id, err := warningID(r)
	if err != nil {
		return err
	}
	items, err := s.store.FindReleases(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*backstop.Release]{Items: items, Total: len(items)})
	return nil
}

// releaseView is a release with its dashboard figures.
type releaseView struct {
	*backstop.Release
	Stats *backstop.ReleaseStats `json:"stats"`
}

func (s *Server) getRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "Release")
	if err != nil {
		return err
	}
	rel, err := s.store.FindRelease(r.Context(), id)
	if err != nil {
		return err
	}
	st, err := s.store.ReleaseStats(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, releaseView{Release: rel, Stats: st})
	return nil
}

// MaskTasks masks the phones of tasks, as every list shows them.
func MaskTasks(ts []*backstop.ConfirmationTask) {
	for _, t := range ts {
		t.Phone, t.AssigneePhone = backstop.MaskPhone(t.Phone), backstop.MaskPhone(t.AssigneePhone)
	}
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "Release")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := backstop.TaskFilter{ReleaseID: id, Open: truthy(r, "open"), Outcome: q.Get("outcome"), Village: q.Get("village")}
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.store.FindTasks(r.Context(), f)
	if err != nil {
		return err
	}
	MaskTasks(items)
	writeJSON(w, http.StatusOK, list[*backstop.ConfirmationTask]{Items: items, Total: total})
	return nil
}

type confirmation struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note,omitempty"`
}

func (s *Server) confirmTask(w http.ResponseWriter, r *http.Request) error {
	d, err := s.dispatcher()
	if err != nil {
		return err
	}
	id, err := PathID(r, "Task")
	if err != nil {
		return err
	}
	var in confirmation
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := d.Confirm(r.Context(), id, in.Outcome, in.Note, "")
	if err != nil {
		return err
	}
	MaskTasks([]*backstop.ConfirmationTask{t})
	writeJSON(w, http.StatusOK, t)
	return nil
}

// Receipts.

// receipt is one delivery report, in backstop's own form.
type receipt struct {
	Key    string `json:"key"`
	Status string `json:"status"` // delivered or failed
	Reason string `json:"reason,omitempty"`
}

// aliyunReport is a line of Alibaba Cloud's SmsReport push.
type aliyunReport struct {
	PhoneNumber string `json:"phone_number"`
	Success     bool   `json:"success"`
	ErrCode     string `json:"err_code"`
	ErrMsg      string `json:"err_msg"`
	ReportTime  string `json:"report_time"`
	BizID       string `json:"biz_id"`
	OutID       string `json:"out_id"`
}

// MaxReceiptBody limits a receipt push.
const MaxReceiptBody = 1 << 20

// ReceiptSignature is the header value a gateway sends: "sha256=" and the
// hex HMAC-SHA256 of the body with the shared secret.
func ReceiptSignature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// verifyReceipt accepts a body signed with the secret (X-Backstop-Signature)
// or, for gateways that cannot sign (Alibaba Cloud's HTTP push), a URL with
// the secret as token.
func (s *Server) verifyReceipt(r *http.Request, body []byte) error {
	secret := s.cfg.ReceiptSecret
	if secret == "" {
		return backstop.Errorf(backstop.EUNAVAILABLE, "Receipts are off: no receipt secret is configured (BACKSTOP_RECEIPT_SECRET).")
	}
	if sig := r.Header.Get("X-Backstop-Signature"); sig != "" {
		if hmac.Equal([]byte(sig), []byte(ReceiptSignature(secret, body))) {
			return nil
		}
		return backstop.Errorf(backstop.EUNAUTHORIZED, "The receipt's signature does not match.")
	}
	if tok := r.URL.Query().Get("token"); tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(secret)) == 1 {
		return nil
	}
	return backstop.Errorf(backstop.EUNAUTHORIZED, "The receipt is not signed (X-Backstop-Signature) and carries no valid token.")
}

func (s *Server) postReceipts(w http.ResponseWriter, r *http.Request) error {
	d, err := s.dispatcher()
	if err != nil {
		return err
	}
	ch := r.PathValue("channel")
	if !slices.Contains(backstop.Channels, ch) {
		return backstop.Errorf(backstop.ENOTFOUND, "No channel %q.", ch)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxReceiptBody+1))
	if err != nil || len(body) > MaxReceiptBody {
		return backstop.Errorf(backstop.ETOOLARGE, "A receipt push is limited to %d KiB.", MaxReceiptBody>>10)
	}
	if err := s.verifyReceipt(r, body); err != nil {
		return err
	}
	rs, err := parseReceipts(body)
	if err != nil {
		return err
	}
	now := time.Now()
	var unknown []backstop.Problem
	applied := 0
	for i, rc := range rs {
		err := d.HandleReceipt(r.Context(), rc.Key, rc.Status, rc.Reason, now)
		switch backstop.ErrorCode(err) {
		case "":
			applied++
		case backstop.ENOTFOUND, backstop.EINVALID, backstop.ECONFLICT:
			unknown = append(unknown, backstop.Problem{Path: fmt.Sprintf("[%d]", i), Reason: backstop.ErrorMessage(err)})
		default:
			return err
		}
	}
	if len(unknown) > 0 {
		return &backstop.Error{Code: backstop.ENOTFOUND, Message: fmt.Sprintf("%d of %d receipts name no message here (the others were applied): %s", len(unknown), len(rs), unknown[0].String()), Details: unknown}
	}
	// Alibaba Cloud expects this answer; others ignore it.
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "成功", "applied": applied})
	return nil
}

// parseReceipts reads backstop's form (one object or a list) or Alibaba
// Cloud's SmsReport list.
func parseReceipts(body []byte) ([]receipt, error) {
	trimmed := strings.TrimSpace(string(body))
	bad := backstop.Errorf(backstop.EINVALID, `A receipt is {"key", "status": "delivered"|"failed", "reason"} (or a list of them), or Alibaba Cloud's SmsReport list.`)
	if strings.HasPrefix(trimmed, "{") {
		var one receipt
		if err := json.Unmarshal(body, &one); err != nil || one.Key == "" {
			return nil, bad
		}
		return []receipt{one}, nil
	}
	var raw []map[string]any
	if err := json.Unmarshal(body, &raw); err != nil || len(raw) == 0 {
		return nil, bad
	}
	var out []receipt
	for _, m := range raw {
		b, _ := json.Marshal(m)
		if _, ok := m["out_id"]; ok {
			var a aliyunReport
			json.Unmarshal(b, &a)
			rc := receipt{Key: a.OutID, Status: backstop.MessageDelivered}
			if !a.Success {
				rc.Status, rc.Reason = backstop.MessageFailed, strings.TrimSpace(a.ErrCode+" "+a.ErrMsg)
			}
			out = append(out, rc)
			continue
		}
		var rc receipt
		if err := json.Unmarshal(b, &rc); err != nil || rc.Key == "" {
			return nil, bad
		}
		out = append(out, rc)
	}
	return out, nil
}

// Templates.

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.FindTemplates(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*backstop.MessageTemplate]{Items: items, Total: len(items)})
	return nil
}

func (s *Server) saveTemplate(w http.ResponseWriter, r *http.Request) error {
	var t backstop.MessageTemplate
	if err := decodeJSON(w, r, &t); err != nil {
		return err
	}
	status := http.StatusCreated
	if r.Method == http.MethodPut {
		id, err := PathID(r, "Template")
		if err != nil {
			return err
		}
		t.ID, status = id, http.StatusOK
	} else {
		t.ID = 0
	}
	if err := s.store.SaveTemplate(r.Context(), &t); err != nil {
		return err
	}
	writeJSON(w, status, t)
	return nil
}

// templatePreview is a rendered template with its SMS length.
type templatePreview struct {
	Text       string `json:"text"`
	Characters int    `json:"characters"`
	Segments   int    `json:"sms_segments"`
}

type templatePreviewInput struct {
	Text      string `json:"text"`
	WarningID int64  `json:"warning_id,omitempty"`
}

// PreviewTemplate renders a template with sample or a warning's values.
func PreviewTemplate(ctx context.Context, store backstop.Store, d *dispatch.Service, text string, warningID int64) (*templatePreview, error) {
	if err := backstop.ValidateTemplate(text); err != nil {
		return nil, err
	}
	fields := backstop.TemplateFields{"hazard": "暴雨", "level": backstop.LevelText(backstop.LevelOrange), "area": "甘州区、临泽县", "time": "07-15 08:00至07-16 08:00",
		"action": "请远离河道和低洼地。", "hotline": "12345", "sender": "张掖市预警信息发布中心"}
	sign := ""
	if d != nil {
		fields["hotline"], fields["sender"], sign = d.Hotline, d.SenderName, d.SignName
		if warningID != 0 {
			if f, err := d.Fields(ctx, warningID); err == nil {
				fields = f
			} else {
				return nil, err
			}
		}
	}
	out := backstop.RenderTemplate(text, fields)
	signed := out
	if sign != "" {
		signed = "【" + sign + "】" + out
	}
	return &templatePreview{Text: out, Characters: len([]rune(signed)), Segments: backstop.SMSSegments(signed)}, nil
}

func (s *Server) previewTemplate(w http.ResponseWriter, r *http.Request) error {
	var in templatePreviewInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := PreviewTemplate(r.Context(), s.store, s.cfg.Dispatch, in.Text, in.WarningID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// Contacts.

// MaskContact hides a contact's phone and a robot's key.
func MaskContact(c *backstop.Contact) {
	c.Phone = backstop.MaskPhone(c.Phone)
	if c.Kind == backstop.ContactWeComGroup && len(c.Address) > 8 {
		c.Address = c.Address[:len(c.Address)-8] + "********"
	}
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.FindContacts(r.Context(), r.URL.Query().Get("kind"))
	if err != nil {
		return err
	}
	for _, c := range items {
		MaskContact(c)
	}
	writeJSON(w, http.StatusOK, list[*backstop.Contact]{Items: items, Total: len(items)})
	return nil
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request) error {
	var c backstop.Contact
	if err := decodeJSON(w, r, &c); err != nil {
		return err
	}
	c.ID = 0
	if err := s.store.CreateContacts(r.Context(), &c); err != nil {
		return err
	}
	MaskContact(&c)
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request) error {
	id, err := PathID(r, "Contact")
	if err != nil {
		return err
	}
	if err := s.store.DeleteContact(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Channels.

// channelView says whether a channel is configured and where it sends.
type channelView struct {
	Channel    string `json:"channel"`
	Configured bool   `json:"configured"`
	Target     string `json:"target,omitempty"`
}

// ChannelViews lists every channel with its configuration.
func ChannelViews(d *dispatch.Service) []channelView {
	out := []channelView{}
	for _, ch := range backstop.Channels {
		v := channelView{Channel: ch}
		if d != nil {
			if snd, ok := d.Senders[ch]; ok {
				v.Configured, v.Target = true, snd.Describe()
			}
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Configured && !out[j].Configured })
	return out
}

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) error {
	u, _ := backstop.RequireUser(r.Context())
	if err := u.Require(backstop.PermReadWarnings); err != nil {
		return err
	}
	items := ChannelViews(s.cfg.Dispatch)
	writeJSON(w, http.StatusOK, list[channelView]{Items: items, Total: len(items)})
	return nil
}

type testMessage struct {
	Address string `json:"address"`
	Text    string `json:"text,omitempty"`
}

func (s *Server) testChannel(w http.ResponseWriter, r *http.Request) error {
	d, err := s.dispatcher()
	if err != nil {
		return err
	}
	var in testMessage
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := d.TestSend(r.Context(), r.PathValue("channel"), in.Address, in.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

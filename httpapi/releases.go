package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/httpx"
)

// releaseInput reads a release request for the warning in the path.
func (s *Server) releaseInput(w http.ResponseWriter, r *http.Request) (*dispatch.Service, int64, dispatch.Request, error) {
	var req dispatch.Request
	d := s.cfg.Dispatch
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
	items, err := s.cfg.Dispatch.Releases(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

// releaseView is a release with its dashboard figures.
type releaseView struct {
	*backstop.Release
	Stats *backstop.ReleaseStats `json:"stats"`
}

func (s *Server) getRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Release")
	if err != nil {
		return err
	}
	rel, st, err := s.cfg.Dispatch.Release(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, releaseView{Release: rel, Stats: st})
	return nil
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Release")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := backstop.TaskFilter{ReleaseID: id, Open: httpx.Truthy(r, "open"), Outcome: q.Get("outcome"), Village: q.Get("village")}
	if f.Limit, f.Offset, err = page(r, 100); err != nil {
		return err
	}
	items, total, err := s.cfg.Dispatch.Tasks(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, total))
	return nil
}

type confirmation struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note,omitempty"`
}

func (s *Server) confirmTask(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Task")
	if err != nil {
		return err
	}
	var in confirmation
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.cfg.Dispatch.Confirm(r.Context(), id, in.Outcome, in.Note, "")
	if err != nil {
		return err
	}
	dispatch.MaskTasks([]*backstop.FieldTask{t})
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
		return backstop.Localized(backstop.EUNAVAILABLE, "回执未启用：未配置回执密钥（BACKSTOP_RECEIPT_SECRET）", "Receipts are off: no receipt secret is configured (BACKSTOP_RECEIPT_SECRET).")
	}
	if sig := r.Header.Get("X-Backstop-Signature"); sig != "" {
		if hmac.Equal([]byte(sig), []byte(ReceiptSignature(secret, body))) {
			return nil
		}
		return backstop.Localized(backstop.EUNAUTHORIZED, "回执签名不匹配", "The receipt's signature does not match.")
	}
	if tok := r.URL.Query().Get("token"); tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(secret)) == 1 {
		return nil
	}
	return backstop.Localized(backstop.EUNAUTHORIZED, "回执未签名（X-Backstop-Signature），也没有有效令牌", "The receipt is not signed (X-Backstop-Signature) and carries no valid token.")
}

func (s *Server) postReceipts(w http.ResponseWriter, r *http.Request) error {
	d := s.cfg.Dispatch
	ch := r.PathValue("channel")
	if !slices.Contains(backstop.Channels, ch) {
		return backstop.Localized(backstop.ENOTFOUND, "没有渠道%q", "No channel %q.", ch)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxReceiptBody+1))
	if err != nil || len(body) > MaxReceiptBody {
		return backstop.Localized(backstop.ETOOLARGE, "一次回执推送不超过%d KiB", "A receipt push is limited to %d KiB.", MaxReceiptBody>>10)
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
		err := d.HandleReceipt(r.Context(), ch, rc.Key, rc.Status, rc.Reason, now)
		switch backstop.ErrorCode(err) {
		case "":
			applied++
		case backstop.ENOTFOUND, backstop.EINVALID, backstop.ECONFLICT:
			unknown = append(unknown, backstop.Problem{Path: fmt.Sprintf("[%d]", i), Reason: backstop.ErrorMessage(err), ReasonZH: backstop.ErrorMessageZH(err)})
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
	items, err := s.cfg.Dispatch.Templates(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func (s *Server) saveTemplate(w http.ResponseWriter, r *http.Request) error {
	var t backstop.MessageTemplate
	if err := decodeJSON(w, r, &t); err != nil {
		return err
	}
	status := http.StatusCreated
	if r.Method == http.MethodPut {
		id, err := httpx.PathID(r, "Template")
		if err != nil {
			return err
		}
		t.ID, status = id, http.StatusOK
	} else {
		t.ID = 0
	}
	if err := s.cfg.Dispatch.SaveTemplate(r.Context(), &t); err != nil {
		return err
	}
	writeJSON(w, status, t)
	return nil
}

type templatePreviewInput struct {
	Text      string `json:"text"`
	WarningID int64  `json:"warning_id,omitempty"`
}

func (s *Server) previewTemplate(w http.ResponseWriter, r *http.Request) error {
	var in templatePreviewInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Dispatch.PreviewTemplate(r.Context(), in.Text, in.WarningID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// Contacts.

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) error {
	items, err := s.cfg.Dispatch.Contacts(r.Context(), r.URL.Query().Get("kind"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request) error {
	var c backstop.Contact
	if err := decodeJSON(w, r, &c); err != nil {
		return err
	}
	if err := s.cfg.Dispatch.CreateContact(r.Context(), &c); err != nil {
		return err
	}
	dispatch.MaskContact(&c)
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Contact")
	if err != nil {
		return err
	}
	if err := s.cfg.Dispatch.DeleteContact(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Channels.

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) error {
	items, err := s.cfg.Dispatch.Channels(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

type testMessage struct {
	Address string `json:"address"`
	Text    string `json:"text,omitempty"`
}

func (s *Server) testChannel(w http.ResponseWriter, r *http.Request) error {
	var in testMessage
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.cfg.Dispatch.TestSend(r.Context(), r.PathValue("channel"), in.Address, in.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// releaseRoutes are the routes of this file.
func (s *Server) releaseRoutes() []*route {
	return []*route{
		{method: "POST", path: "/api/v1/warnings/{id}/releases/preview", summary: "Preview a targeted release: messages per audience and channel, SMS segments, confirmation tasks and deadline", tag: "releases",
			params: []param{warningParam}, body: "ReleaseRequest", response: "ReleasePreview", access: access{perm: backstop.PermRelease, scope: scopeWrite}, handle: s.previewRelease},
		{method: "POST", path: "/api/v1/warnings/{id}/releases", summary: "Make a targeted release (精准发布): the outbox and confirmation tasks are written at once and sent by workers", tag: "releases",
			params: []param{warningParam}, body: "ReleaseRequest", response: "Release", status: http.StatusCreated, access: access{perm: backstop.PermRelease, scope: scopeWrite}, handle: s.createRelease},
		{method: "GET", path: "/api/v1/warnings/{id}/releases", summary: "A warning's releases, newest first", tag: "releases", params: []param{warningParam}, response: "ReleaseList", access: access{perm: backstop.PermReadWarnings, scope: scopeShared}, handle: s.listReleases},
		{method: "GET", path: "/api/v1/releases/{id}", summary: "A release with its dashboard: messages by channel, audience and status; delivery times; confirmations (in your region)", tag: "releases",
			params: []param{releaseParam}, response: "Release", access: access{perm: backstop.PermReadWarnings, scope: scopeShared}, handle: s.getRelease},
		{method: "GET", path: "/api/v1/releases/{id}/tasks", summary: "Last-mile confirmation tasks of a release in your region (phones masked)", tag: "releases",
			params: append([]param{releaseParam, {name: "open", in: "query", typ: "boolean", desc: "only unconfirmed"}, {name: "outcome", in: "query", typ: "string", desc: "phone, in_person, neighbour, unreachable", values: backstop.Outcomes},
				{name: "village", in: "query", typ: "string", format: "region", desc: "12-digit village code"}}, pageParams...), response: "TaskList", access: access{perm: backstop.PermReadRegistry, scope: scopeNone}, handle: s.listTasks},
		{method: "POST", path: "/api/v1/tasks/{id}/confirm", summary: "Confirm that a key-group person was reached (or not)", tag: "releases",
			params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "task id"}}, body: "Confirmation", response: "Task", access: access{perm: backstop.PermConfirm, scope: scopeWrite}, handle: s.confirmTask},
		{method: "POST", path: "/api/v1/receipts/{channel}", summary: "Delivery receipts from a gateway: signed (X-Backstop-Signature: sha256=HMAC of the body) or with ?token=; backstop's form or Alibaba Cloud's SmsReport", tag: "releases", public: true,
			params: []param{{name: "channel", in: "path", typ: "string", required: true, desc: "sms, wecom, broadcast or email"}, {name: "token", in: "query", typ: "string", desc: "the receipt secret, for gateways that cannot sign"}},
			body:   "Receipt", response: "ReceiptAnswer", handle: s.postReceipts},
		{method: "GET", path: "/api/v1/templates", summary: "Message templates by hazard and level", tag: "releases", response: "TemplateList", access: access{perm: backstop.PermReadWarnings, scope: scopeNone}, handle: s.listTemplates},
		{method: "POST", path: "/api/v1/templates", summary: "Add a message template (unknown placeholders are refused)", tag: "releases", body: "Template", response: "Template", status: http.StatusCreated, access: access{perm: backstop.PermManageReach, scope: scopeWrite}, handle: s.saveTemplate},
		{method: "PUT", path: "/api/v1/templates/{id}", summary: "Change a message template", tag: "releases", params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "template id"}},
			body: "Template", response: "Template", access: access{perm: backstop.PermManageReach, scope: scopeWrite}, handle: s.saveTemplate},
		{method: "POST", path: "/api/v1/templates/preview", summary: "Render a template (with a warning's values when warning_id is given) and count its SMS segments", tag: "releases",
			body: "TemplateText", response: "TemplatePreview", access: access{perm: backstop.PermReadWarnings, scope: scopeShared}, handle: s.previewTemplate},
		{method: "GET", path: "/api/v1/contacts", summary: "Contacts in your region: village cadres, duty officers, departments, information officers, duty groups, loudspeakers", tag: "releases",
			params: []param{{name: "kind", in: "query", typ: "string", desc: "one kind", values: backstop.ContactKinds}}, response: "ContactList", access: access{perm: backstop.PermReadWarnings, scope: scopeNone}, handle: s.listContacts},
		{method: "POST", path: "/api/v1/contacts", summary: "Add a contact", tag: "releases", body: "Contact", response: "Contact", status: http.StatusCreated, access: access{perm: backstop.PermManageReach, scope: scopeWrite}, handle: s.createContact},
		{method: "DELETE", path: "/api/v1/contacts/{id}", summary: "Remove a contact", tag: "releases", params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "contact id"}},
			status: http.StatusNoContent, access: access{perm: backstop.PermManageReach, scope: scopeWrite}, handle: s.deleteContact},
		{method: "GET", path: "/api/v1/channels", summary: "Which channels are configured and where they send", tag: "releases", response: "ChannelList", access: access{perm: backstop.PermReadWarnings, scope: scopeNone}, handle: s.listChannels},
		{method: "POST", path: "/api/v1/channels/{channel}/test", summary: "Send one test message on a channel (admins; audited)", tag: "releases",
			params: []param{{name: "channel", in: "path", typ: "string", required: true, desc: "sms, wecom, broadcast or email"}}, body: "TestMessage", response: "TestResult", access: access{perm: backstop.PermManageChannel, scope: scopeNone}, handle: s.testChannel},
	}
}

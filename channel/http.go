package channel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/egress"
)

// postJSON posts v and reads a JSON object back. A timeout, a refused
// connection or a 5xx is temporary; another non-2xx is final.
func postJSON(ctx context.Context, client *http.Client, endpoint string, v any, what string) (map[string]any, error) {
	body, _ := json.Marshal(v)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, permanent("%s endpoint: %v", what, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := client.Do(req)
	if err != nil {
		var refused *egress.Refusal
		if errors.As(err, &refused) {
			// Final: trying again reaches the same address. The refusal
			// names the host only, not the URL with a robot's key.
			return nil, permanent("%s not sent: %v", what, refused)
		}
		return nil, temporary("%s unreachable: %v", what, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, temporary("%s answered %d", what, resp.StatusCode)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, permanent("%s answered %d: %s", what, resp.StatusCode, strings.TrimSpace(string(raw[:min(len(raw), 200)])))
	}
	out := map[string]any{}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, permanent("%s answered 2xx with a body that is not a JSON object", what)
		}
	}
	return out, nil
}

// errorField is a 2xx answer's "error" field, which means refusal.
func errorField(out map[string]any) (string, bool) {
	v, ok := out["error"]
	if !ok || v == nil || v == false || v == "" {
		return "", false
	}
	if s, isString := v.(string); isString {
		return s, true
	}
	b, _ := json.Marshal(v)
	return string(b), true
}

func stringField(out map[string]any, name string) string {
	if s, ok := out[name].(string); ok {
		return s
	}
	return ""
}

// Webhook is an SMS gateway that takes {"to", "text", "key"} as JSON and
// accepts with a 2xx answer without an "error" field; "id" in the answer
// is its message id.
type Webhook struct {
	URL      string
	SignName string // prefixed as 【…】 when set
	HTTP     *http.Client
	Pacer    *Pacer
}

func (w *Webhook) Channel() string { return backstop.ChannelSMS }

func (w *Webhook) Describe() string { return "JSON SMS webhook at " + redactURL(w.URL) }

func (w *Webhook) Send(ctx context.Context, m *backstop.Message) (Result, error) {
	if err := w.Pacer.Wait(ctx); err != nil {
		return Result{}, temporary("%v", err)
	}
	text := m.Text
	if w.SignName != "" {
		text = "【" + w.SignName + "】" + text
	}
	out, err := postJSON(ctx, w.HTTP, w.URL, map[string]string{"to": m.Address, "text": text, "key": m.Key}, "SMS webhook")
	if err != nil {
		return Result{}, err
	}
	if e, bad := errorField(out); bad {
		return Result{}, permanent("SMS webhook refused: %s", e)
	}
	return Result{GatewayID: stringField(out, "id")}, nil
}

// DefaultRobot is the address of the configured 企业微信 robot (the city
// duty group) in messages: the webhook URL carries a secret key, which
// stays in the configuration.
const DefaultRobot = "default"

// WeCom posts to 企业微信 group robots (msgtype markdown). The address of
// a message is a robot's webhook URL or its key; DefaultRobot (or empty)
// means the configured one. Each robot is paced on its own: 企业微信 allows
// 20 messages a minute per robot.
type WeCom struct {
	Default string
	// HTTP posts to the configured robot and to keys on its host (the
	// operator's configuration).
	HTTP *http.Client
	// Robots posts to webhook URLs that contacts give (user input):
	// an egress-guarded client; nil means that of an empty allow-list.
	Robots *http.Client
	Rate   float64 // per robot per second; 0 means 20 a minute

	mu     sync.Mutex
	pacers map[string]*Pacer
}

// strictRobots is the guarded client of an empty allow-list, for a WeCom
// made without Robots.
var strictRobots = sync.OnceValue(func() *http.Client { return (*egress.Policy)(nil).Client(10 * time.Second) })

func (w *WeCom) Channel() string { return backstop.ChannelWeCom }

func (w *WeCom) Describe() string { return "企业微信 robot " + redactURL(w.Default) }

// url is where a message to address goes, and with which client: a
// webhook URL of a contact through the guarded one, the configured robot
// and keys on its host through the gateways' one.
func (w *WeCom) url(address string) (string, *http.Client) {
	switch {
	case address == "" || address == DefaultRobot:
		return w.Default, w.HTTP
	case strings.Contains(address, "://"):
		if w.Robots == nil {
			return address, strictRobots()
		}
		return address, w.Robots
	}
	// A bare key: the robot endpoint of the default's host.
	u, err := url.Parse(w.Default)
	if err != nil {
		return address, w.HTTP
	}
	q := u.Query()
	q.Set("key", address)
	u.RawQuery = q.Encode()
	return u.String(), w.HTTP
}

func (w *WeCom) pacer(endpoint string) *Pacer {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pacers == nil {
		w.pacers = map[string]*Pacer{}
	}
	p, ok := w.pacers[endpoint]
	if !ok {
		rate := w.Rate
		if rate == 0 {
			rate = 20.0 / 60
		}
		p = NewPacer(rate)
		w.pacers[endpoint] = p
	}
	return p
}

func (w *WeCom) Send(ctx context.Context, m *backstop.Message) (Result, error) {
	endpoint, client := w.url(m.Address)
	if err := w.pacer(endpoint).Wait(ctx); err != nil {
		return Result{}, temporary("%v", err)
	}
	out, err := postJSON(ctx, client, endpoint, map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": m.Text}}, "企业微信 robot")
	if err != nil {
		return Result{}, err
	}
	code, _ := out["errcode"].(float64)
	switch {
	case code == 0:
		return Result{Delivered: true}, nil
	case code == 45009 || code == -1: // frequency limit, system busy
		return Result{}, temporary("企业微信 errcode %v: %v", out["errcode"], out["errmsg"])
	}
	return Result{}, permanent("企业微信 errcode %v: %v", out["errcode"], out["errmsg"])
}

// Broadcast posts text for text-to-speech to a village loudspeaker
// terminal group: {"terminal_group", "text", "repeat", "key"}; a 2xx answer
// without "error" means the platform queued it.
type Broadcast struct {
	Endpoint string
	Repeat   int
	HTTP     *http.Client
	Pacer    *Pacer
}

func (b *Broadcast) Channel() string { return backstop.ChannelBroadcast }

func (b *Broadcast) Describe() string { return "loudspeaker platform at " + redactURL(b.Endpoint) }

func (b *Broadcast) Send(ctx context.Context, m *backstop.Message) (Result, error) {
	if err := b.Pacer.Wait(ctx); err != nil {
		return Result{}, temporary("%v", err)
	}
	repeat := b.Repeat
	if repeat <= 0 {
		repeat = 3
	}
	out, err := postJSON(ctx, b.HTTP, b.Endpoint, map[string]any{"terminal_group": m.Address, "text": m.Text, "repeat": repeat, "key": m.Key}, "loudspeaker platform")
	if err != nil {
		return Result{}, err
	}
	if e, bad := errorField(out); bad {
		return Result{}, permanent("loudspeaker platform refused: %s", e)
	}
	return Result{GatewayID: stringField(out, "id"), Delivered: true}, nil
}

// redactURL hides query secrets such as a robot key.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	q := u.Query()
	for k := range q {
		q.Set(k, maskSecret(q.Get(k)))
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

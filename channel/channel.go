// Package channel delivers messages: SMS through Alibaba Cloud's SendSms
// or a plain JSON webhook, 企业微信 group robots, village loudspeakers
// (农村应急广播) over HTTP, and e-mail over SMTP. Each adapter speaks its
// gateway's real protocol, passes the message's idempotency key where the
// protocol has a place for it, and paces itself to a configured rate.
package channel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Result is what a gateway said when it accepted a message.
type Result struct {
	GatewayID string // the gateway's own id (BizId, message id), if any
	// Delivered: the channel has no delivery receipts, so acceptance is
	// as far as backstop can know (robots, loudspeaker platforms, SMTP).
	Delivered bool
}

// Failure is a refused or failed send. Temporary failures (timeouts,
// 5xx, flow control) are worth retrying; the others are final.
type Failure struct {
	Temporary bool
	Reason    string
}

func (f *Failure) Error() string { return f.Reason }

func temporary(format string, args ...any) error {
	return &Failure{Temporary: true, Reason: backstop.RedactSecrets(fmt.Sprintf(format, args...))}
}

func permanent(format string, args ...any) error {
	return &Failure{Reason: backstop.RedactSecrets(fmt.Sprintf(format, args...))}
}

// IsTemporary tells a failure worth retrying; errors that are not a
// *Failure (a cancelled context, a bug) count as temporary.
func IsTemporary(err error) bool {
	var f *Failure
	if errors.As(err, &f) {
		return f.Temporary
	}
	return true
}

// Sender delivers one message on one channel.
type Sender interface {
	// Channel is the backstop channel name (sms, wecom, broadcast, email).
	Channel() string
	// Send delivers m.Text to m.Address with m.Key as idempotency key.
	Send(ctx context.Context, m *backstop.Message) (Result, error)
	// Describe says where it sends, without secrets, for the settings page.
	Describe() string
}

// Pacer spaces sends to at most rate per second, across goroutines.
type Pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

// NewPacer returns a pacer of rate sends per second (0: unlimited).
func NewPacer(rate float64) *Pacer {
	if rate <= 0 {
		return &Pacer{}
	}
	return &Pacer{interval: time.Duration(float64(time.Second) / rate)}
}

// Wait blocks until the next send may go, or ctx ends.
func (p *Pacer) Wait(ctx context.Context) error {
	if p == nil || p.interval == 0 {
		return ctx.Err()
	}
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		// A quiet spell does not bank a burst beyond a tenth of a second.
		p.next = now.Add(-min(100*time.Millisecond, now.Sub(p.next)))
	}
	at := p.next
	p.next = p.next.Add(p.interval)
	p.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Config configures every channel; empty endpoints leave a channel off.
type Config struct {
	// Alibaba Cloud SMS (dysmsapi SendSms).
	AliyunEndpoint     string // e.g. https://dysmsapi.aliyuncs.com/
	AliyunKeyID        string
	AliyunKeySecret    string
	AliyunSignName     string
	AliyunTemplateCode string // a template whose one variable ${content} carries the text
	AliyunRegion       string // default cn-hangzhou
	// A plain JSON SMS webhook for other gateways.
	SMSWebhook string
	SMSRate    float64 // messages per second to the SMS gateway
	// SignName is the SMS signature the gateway shows as 【…】; counted in
	// segment previews.
	SignName string

	// 企业微信 group robot webhook of the city duty group; groups of
	// counties and townships are contacts.
	WeComWebhook string
	WeComRate    float64 // per robot; 企业微信 allows 20 a minute

	// Village loudspeaker platform.
	BroadcastEndpoint string
	BroadcastRepeat   int
	BroadcastRate     float64

	// SMTP for department contacts.
	SMTPAddr     string // host:port
	SMTPFrom     string
	SMTPUser     string
	SMTPPassword string
	EmailRate    float64

	// HTTP is the client for HTTP gateways.
	HTTP *http.Client
	// RobotHTTP is the client for 企业微信 robots that contacts give as
	// webhook URLs: user input, so an egress-guarded client
	// (egress.Policy.Client). nil: the guarded client of an empty
	// allow-list.
	RobotHTTP *http.Client
}

// NewHTTPClient is a client for gateways: bounded time, enough idle
// connections for concurrent senders.
func NewHTTPClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 512
	tr.MaxIdleConnsPerHost = 256
	tr.IdleConnTimeout = 90 * time.Second
	return &http.Client{Timeout: timeout, Transport: tr}
}

// Build makes the senders that are configured, by channel.
func Build(cfg Config) (map[string]Sender, error) {
	if cfg.HTTP == nil {
		cfg.HTTP = NewHTTPClient(10 * time.Second)
	}
	out := map[string]Sender{}
	switch {
	case cfg.AliyunEndpoint != "":
		if cfg.AliyunKeyID == "" || cfg.AliyunKeySecret == "" || cfg.AliyunSignName == "" || cfg.AliyunTemplateCode == "" {
			return nil, backstop.Localized(backstop.EINVALID, "阿里云短信需要配置AccessKey ID、AccessKey Secret、签名和模板编号（BACKSTOP_SMS_KEY_ID、BACKSTOP_SMS_KEY_SECRET、BACKSTOP_SMS_SIGN_NAME、BACKSTOP_SMS_TEMPLATE）", "Alibaba Cloud SMS needs the key id, key secret, sign name and template code (BACKSTOP_SMS_KEY_ID, BACKSTOP_SMS_KEY_SECRET, BACKSTOP_SMS_SIGN_NAME, BACKSTOP_SMS_TEMPLATE)")
		}
		out[backstop.ChannelSMS] = &Aliyun{Endpoint: cfg.AliyunEndpoint, KeyID: cfg.AliyunKeyID, KeySecret: cfg.AliyunKeySecret, SignName: cfg.AliyunSignName,
			TemplateCode: cfg.AliyunTemplateCode, Region: cfg.AliyunRegion, HTTP: cfg.HTTP, Pacer: NewPacer(cfg.SMSRate)}
	case cfg.SMSWebhook != "":
		out[backstop.ChannelSMS] = &Webhook{URL: cfg.SMSWebhook, SignName: cfg.SignName, HTTP: cfg.HTTP, Pacer: NewPacer(cfg.SMSRate)}
	}
	if cfg.WeComWebhook != "" {
		out[backstop.ChannelWeCom] = &WeCom{Default: cfg.WeComWebhook, HTTP: cfg.HTTP, Robots: cfg.RobotHTTP, Rate: cfg.WeComRate}
	}
	if cfg.BroadcastEndpoint != "" {
		out[backstop.ChannelBroadcast] = &Broadcast{Endpoint: cfg.BroadcastEndpoint, Repeat: cfg.BroadcastRepeat, HTTP: cfg.HTTP, Pacer: NewPacer(cfg.BroadcastRate)}
	}
	if cfg.SMTPAddr != "" {
		if cfg.SMTPFrom == "" {
			return nil, backstop.Localized(backstop.EINVALID, "邮件渠道需要配置发件地址（BACKSTOP_SMTP_FROM）", "SMTP needs a sender address (BACKSTOP_SMTP_FROM)")
		}
		out[backstop.ChannelEmail] = &Email{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, User: cfg.SMTPUser, Password: cfg.SMTPPassword, Pacer: NewPacer(cfg.EmailRate)}
	}
	return out, nil
}

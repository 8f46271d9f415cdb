package main

import (
	"flag"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop/channel"
	"github.com/zhangye-backstop/backstop/dispatch"
	"github.com/zhangye-backstop/backstop/egress"
)

// releaseConfig is every setting of targeted release: channels, receipts,
// texts and the dispatch pace.
type releaseConfig struct {
	ch            channel.Config
	receiptSecret *string
	baseURL       *string
	senderName    *string
	hotline       *string
	batch         *int
	concurrency   *int
	workers       *int
	lease         *time.Duration
	timeout       *time.Duration
	sweep         *time.Duration
}

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(envOr(name, ""), 64); err == nil {
		return v
	}
	return def
}

// releaseFlags registers the release settings, each with its BACKSTOP_*
// variable.
func releaseFlags(fs *flag.FlagSet) *releaseConfig {
	c := &releaseConfig{}
	fs.StringVar(&c.ch.AliyunEndpoint, "sms-endpoint", envOr("BACKSTOP_SMS_ENDPOINT", ""), "Alibaba Cloud SMS endpoint, e.g. https://dysmsapi.aliyuncs.com/ (env BACKSTOP_SMS_ENDPOINT)")
	fs.StringVar(&c.ch.AliyunKeyID, "sms-key-id", envOr("BACKSTOP_SMS_KEY_ID", ""), "Alibaba Cloud AccessKey id (env BACKSTOP_SMS_KEY_ID)")
	c.ch.AliyunKeySecret = envOr("BACKSTOP_SMS_KEY_SECRET", "") // secrets only from the environment
	fs.StringVar(&c.ch.AliyunSignName, "sms-sign-name", envOr("BACKSTOP_SMS_SIGN_NAME", ""), "SMS signature (签名), shown as 【…】 (env BACKSTOP_SMS_SIGN_NAME)")
	fs.StringVar(&c.ch.AliyunTemplateCode, "sms-template", envOr("BACKSTOP_SMS_TEMPLATE", ""), "Alibaba Cloud template code with one variable ${content} (env BACKSTOP_SMS_TEMPLATE)")
	fs.StringVar(&c.ch.SMSWebhook, "sms-webhook", envOr("BACKSTOP_SMS_WEBHOOK", ""), "JSON SMS gateway URL, when not Alibaba Cloud (env BACKSTOP_SMS_WEBHOOK)")
	fs.Float64Var(&c.ch.SMSRate, "sms-rate", envFloat("BACKSTOP_SMS_RATE", 1000), "SMS per second to the gateway (env BACKSTOP_SMS_RATE)")
	fs.StringVar(&c.ch.WeComWebhook, "wecom-webhook", envOr("BACKSTOP_WECOM_WEBHOOK", ""), "企业微信 robot webhook of the city duty group (env BACKSTOP_WECOM_WEBHOOK)")
	fs.Float64Var(&c.ch.WeComRate, "wecom-rate", envFloat("BACKSTOP_WECOM_RATE", 20.0/60), "messages per second per 企业微信 robot (env BACKSTOP_WECOM_RATE; 企业微信 allows 20 a minute)")
	fs.StringVar(&c.ch.BroadcastEndpoint, "broadcast-endpoint", envOr("BACKSTOP_BROADCAST_ENDPOINT", ""), "village loudspeaker platform URL (env BACKSTOP_BROADCAST_ENDPOINT)")
	fs.IntVar(&c.ch.BroadcastRepeat, "broadcast-repeat", int(envInt("BACKSTOP_BROADCAST_REPEAT", 3)), "times a loudspeaker plays a warning (env BACKSTOP_BROADCAST_REPEAT)")
	fs.Float64Var(&c.ch.BroadcastRate, "broadcast-rate", envFloat("BACKSTOP_BROADCAST_RATE", 50), "loudspeaker requests per second (env BACKSTOP_BROADCAST_RATE)")
	fs.StringVar(&c.ch.SMTPAddr, "smtp-addr", envOr("BACKSTOP_SMTP_ADDR", ""), "SMTP server host:port for department e-mail (env BACKSTOP_SMTP_ADDR)")
	fs.StringVar(&c.ch.SMTPFrom, "smtp-from", envOr("BACKSTOP_SMTP_FROM", ""), "sender address of e-mail (env BACKSTOP_SMTP_FROM)")
	fs.StringVar(&c.ch.SMTPUser, "smtp-user", envOr("BACKSTOP_SMTP_USER", ""), "SMTP user (env BACKSTOP_SMTP_USER; password in BACKSTOP_SMTP_PASSWORD)")
	c.ch.SMTPPassword = envOr("BACKSTOP_SMTP_PASSWORD", "")
	fs.Float64Var(&c.ch.EmailRate, "email-rate", envFloat("BACKSTOP_EMAIL_RATE", 10), "e-mails per second (env BACKSTOP_EMAIL_RATE)")
	c.receiptSecret = new(string)
	*c.receiptSecret = envOr("BACKSTOP_RECEIPT_SECRET", "")
	c.baseURL = fs.String("base-url", envOr("BACKSTOP_BASE_URL", ""), "public URL of backstop, for confirmation links in SMS (env BACKSTOP_BASE_URL; default http://ADDR)")
	c.senderName = fs.String("release-sender", envOr("BACKSTOP_RELEASE_SENDER", "张掖市预警信息发布中心"), "issuing office named in messages, {sender} (env BACKSTOP_RELEASE_SENDER)")
	c.hotline = fs.String("hotline", envOr("BACKSTOP_HOTLINE", "12345"), "hotline in messages, {hotline} (env BACKSTOP_HOTLINE)")
	c.batch = fs.Int("dispatch-batch", int(envInt("BACKSTOP_DISPATCH_BATCH", 500)), "messages per dispatch job (env BACKSTOP_DISPATCH_BATCH)")
	c.concurrency = fs.Int("dispatch-concurrency", int(envInt("BACKSTOP_DISPATCH_CONCURRENCY", 32)), "sends at once per dispatch job (env BACKSTOP_DISPATCH_CONCURRENCY)")
	c.workers = fs.Int("dispatch-workers", int(envInt("BACKSTOP_DISPATCH_WORKERS", 4)), "dispatch jobs at once per process (env BACKSTOP_DISPATCH_WORKERS)")
	c.lease = fs.Duration("dispatch-lease", 6*time.Second, "how long a process holds a dispatch batch without renewing it (it renews it every third of that while sending); after a crash, its batches are sent again after this")
	c.timeout = fs.Duration("gateway-timeout", 10*time.Second, "time limit of one gateway request")
	c.sweep = fs.Duration("poll-interval", time.Second, "how often due clocks (deadlines, escalations) and due outbox batches (retries, a crashed process's batches) are looked for")
	return c
}

// textsPeople tells whether an SMS gateway is configured.
func (c *releaseConfig) textsPeople() bool { return c.ch.AliyunEndpoint != "" || c.ch.SMSWebhook != "" }

// service builds the dispatch service with the configured channels;
// confirmation links point at --base-url, else at addr (the URL served).
// The configured gateways are trusted as they are; robots that contacts
// name by URL are reached through outbound's guarded client.
func (c *releaseConfig) service(logger *slog.Logger, addr string, outbound *egress.Policy) (*dispatch.Service, error) {
	c.ch.HTTP = channel.NewHTTPClient(*c.timeout)
	c.ch.RobotHTTP = outbound.Client(*c.timeout)
	c.ch.SignName = c.ch.AliyunSignName
	senders, err := channel.Build(c.ch)
	if err != nil {
		return nil, err
	}
	base := *c.baseURL
	if base == "" {
		base = addr
	}
	return &dispatch.Service{Senders: senders, Logger: logger, SenderName: *c.senderName, Hotline: *c.hotline, SignName: c.ch.SignName,
		BaseURL: strings.TrimRight(base, "/"), BatchSize: *c.batch, Concurrency: *c.concurrency, Lease: *c.lease}, nil
}

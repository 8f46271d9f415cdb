package channel

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Email sends plain-text UTF-8 mail over SMTP (STARTTLS when the server
// offers it; PLAIN auth when a user is set). The idempotency key is the
// Message-ID, by which mail systems drop duplicates.
type Email struct {
	Addr     string
	From     string
	User     string
	Password string
	Pacer    *Pacer
	Subject  string // default 预警信息
}

func (e *Email) Channel() string { return backstop.ChannelEmail }

func (e *Email) Describe() string { return "SMTP " + e.Addr + " from " + e.From }

// smtpTemporary tells 4xx replies (try again later) from 5xx ones.
func smtpFailure(stage string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) && tp.Code >= 500 {
		return permanent("SMTP %s: %v", stage, err)
	}
	return temporary("SMTP %s: %v", stage, err)
}

func (e *Email) Send(ctx context.Context, m *backstop.Message) (Result, error) {
	if err := e.Pacer.Wait(ctx); err != nil {
		return Result{}, temporary("%v", err)
	}
	if strings.ContainsAny(m.Address, "\r\n<>") || !strings.Contains(m.Address, "@") {
		return Result{}, permanent("e-mail address %q is not valid", m.Address)
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", e.Addr)
	if err != nil {
		return Result{}, temporary("SMTP unreachable: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetDeadline(deadline)
	host, _, _ := net.SplitHostPort(e.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return Result{}, smtpFailure("greeting", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return Result{}, smtpFailure("STARTTLS", err)
		}
	}
	if e.User != "" {
		if err := c.Auth(smtp.PlainAuth("", e.User, e.Password, host)); err != nil {
			return Result{}, smtpFailure("auth", err)
		}
	}
	if err := c.Mail(e.From); err != nil {
		return Result{}, smtpFailure("MAIL FROM", err)
	}
	if err := c.Rcpt(m.Address); err != nil {
		return Result{}, smtpFailure("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return Result{}, smtpFailure("DATA", err)
	}
	subject := e.Subject
	if subject == "" {
		subject = "预警信息"
	}
	domain := "backstop"
	if _, d, ok := strings.Cut(e.From, "@"); ok {
		domain = d
	}
	msgID := "<" + m.Key + "@" + domain + ">"
	body := base64.StdEncoding.EncodeToString([]byte(m.Text))
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		e.From, m.Address, mime.BEncoding.Encode("UTF-8", subject), msgID, time.Now().Format(time.RFC1123Z))
	for len(body) > 76 {
		b.WriteString(body[:76] + "\r\n")
		body = body[76:]
	}
	b.WriteString(body + "\r\n")
	if _, err := w.Write([]byte(b.String())); err != nil {
		return Result{}, smtpFailure("DATA", err)
	}
	if err := w.Close(); err != nil {
		return Result{}, smtpFailure("end of DATA", err)
	}
	c.Quit()
	return Result{GatewayID: msgID, Delivered: true}, nil
}

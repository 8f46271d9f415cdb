package backstop

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRedactSecrets(t *testing.T) {
	for _, c := range []struct{ in, secret string }{
		{"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", "693a91f6"},
		{`企业微信 robot unreachable: Post "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdef123456": dial tcp: i/o timeout`, "abcdef123456"},
		{"to https://x.example/send?debug=1&KEY=s3cr3tvalue, key bst-test-1", "s3cr3tvalue"},
		{"https://user:hunter22@sms.example/api", "hunter22"},
		{"password=correct-horse token: abcdefghijkl", "correct-horse"},
		{"password=correct-horse token: abcdefghijkl", "abcdefghijkl"},
		{"Authorization: Bearer bst_0123456789abcdef", "0123456789abcdef"},
		{"https://dysmsapi.aliyuncs.com/?AccessKeyId=LTAI5tXYZ&Signature=abc%2Bdef", "LTAI5tXYZ"},
		{"https://dysmsapi.aliyuncs.com/?AccessKeyId=LTAI5tXYZ&Signature=abc%2Bdef", "abc%2Bdef"},
	} {
		got := RedactSecrets(c.in)
		if strings.Contains(got, c.secret) {
			t.Errorf("RedactSecrets(%q) = %q, still holds %q", c.in, got, c.secret)
		}
		if !strings.Contains(got, Redacted) {
			t.Errorf("RedactSecrets(%q) = %q, no %s", c.in, got, Redacted)
		}
	}
	for _, keep := range []string{"to 138****5678, key bst-test-0a1b2c", "sms 620702001200", "渠道企业微信未配置", "level=red"} {
		if got := RedactSecrets(keep); got != keep {
			t.Errorf("RedactSecrets(%q) = %q, changed a text without a secret", keep, got)
		}
	}
}

func TestRedactingHandler(t *testing.T) {
	var buf strings.Builder
	log := slog.New(RedactingHandler(slog.NewTextHandler(&buf, nil))).With("db", "postgres://backstop:pg-pass-42@127.0.0.1/backstop")
	log.Info("send failed: Post \"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=robot-key-77\"",
		"err", errors.New("dial https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=robot-key-77"),
		slog.Group("gw", "url", "https://sms.example/send?token=tok-9999"))
	out := buf.String()
	for _, secret := range []string{"pg-pass-42", "robot-key-77", "tok-9999"} {
		if strings.Contains(out, secret) {
			t.Errorf("log line holds %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "qyapi.weixin.qq.com") {
		t.Errorf("log line lost its text: %s", out)
	}
}

package channel

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// Aliyun sends SMS through Alibaba Cloud's SendSms (dysmsapi, API version
// 2017-05-25), signed with the RPC signature (HMAC-SHA1 over the sorted,
// percent-encoded parameters). OutId carries the idempotency key, which
// the service returns in delivery reports.
type Aliyun struct {
	Endpoint     string
	KeyID        string
	KeySecret    string
	SignName     string
	TemplateCode string
	Region       string
	HTTP         *http.Client
	Pacer        *Pacer
	// Now and Nonce are for tests; nil means the clock and random bytes.
	Now   func() time.Time
	Nonce func() string
}

func (a *Aliyun) Channel() string { return backstop.ChannelSMS }

func (a *Aliyun) Describe() string {
	return "Alibaba Cloud SendSms at " + a.Endpoint + " (sign " + a.SignName + ", template " + a.TemplateCode + ", key " + maskSecret(a.KeyID) + ")"
}

// AliyunPercentEncode is the RFC 3986 encoding the signature needs: like
// QueryEscape, but space as %20, * as %2A and ~ kept.
func AliyunPercentEncode(s string) string {
	e := url.QueryEscape(s)
	e = strings.ReplaceAll(e, "+", "%20")
	e = strings.ReplaceAll(e, "*", "%2A")
	return strings.ReplaceAll(e, "%7E", "~")
}

// AliyunSignature signs parameters for method with secret.
func AliyunSignature(method string, params url.Values, secret string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var canon strings.Builder
	for i, k := range keys {
		if i > 0 {
			canon.WriteByte('&')
		}
		canon.WriteString(AliyunPercentEncode(k) + "=" + AliyunPercentEncode(params.Get(k)))
	}
	toSign := method + "&" + AliyunPercentEncode("/") + "&" + AliyunPercentEncode(canon.String())
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// aliyunTemporary are SendSms codes worth retrying: flow control and the
// service's own faults.
var aliyunTemporary = map[string]bool{
	"isv.BUSINESS_LIMIT_CONTROL": true, "isp.SYSTEM_ERROR": true, "isp.RAM_PERMISSION_DENY": false,
	"Throttling.User": true, "Throttling": true, "ServiceUnavailable": true, "InternalError": true,
}

func (a *Aliyun) Send(ctx context.Context, m *backstop.Message) (Result, error) {
	if err := a.Pacer.Wait(ctx); err != nil {
		return Result{}, temporary("%v", err)
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	nonce := a.Nonce
	if nonce == nil {
		nonce = func() string {
			var b [16]byte
			rand.Read(b[:])
			return hex.EncodeToString(b[:])
		}
	}
	region := a.Region
	if region == "" {
		region = "cn-hangzhou"
	}
	param, _ := json.Marshal(map[string]string{"content": m.Text})
	p := url.Values{}
	p.Set("AccessKeyId", a.KeyID)
	p.Set("Action", "SendSms")
	p.Set("Format", "JSON")
	p.Set("OutId", m.Key)
	p.Set("PhoneNumbers", m.Address)
	p.Set("RegionId", region)
	p.Set("SignName", a.SignName)
	p.Set("SignatureMethod", "HMAC-SHA1")
	p.Set("SignatureNonce", nonce())
	p.Set("SignatureVersion", "1.0")
	p.Set("TemplateCode", a.TemplateCode)
	p.Set("TemplateParam", string(param))
	p.Set("Timestamp", now().UTC().Format("2006-01-02T15:04:05Z"))
	p.Set("Version", "2017-05-25")
	p.Set("Signature", AliyunSignature(http.MethodPost, p, a.KeySecret))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Endpoint, strings.NewReader(p.Encode()))
	if err != nil {
		return Result{}, permanent("SMS endpoint: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return Result{}, temporary("SMS gateway unreachable: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var out struct{ Code, Message, BizId, RequestId string }
	jerr := json.Unmarshal(body, &out)
	switch {
	case resp.StatusCode >= 500:
		return Result{}, temporary("SMS gateway answered %d", resp.StatusCode)
	case jerr != nil:
		return Result{}, temporary("SMS gateway answered %d with an unreadable body", resp.StatusCode)
	case out.Code == "OK":
		return Result{GatewayID: out.BizId}, nil
	case aliyunTemporary[out.Code]:
		return Result{}, temporary("SendSms %s: %s", out.Code, out.Message)
	}
	return Result{}, permanent("SendSms %s: %s", out.Code, out.Message)
}

func maskSecret(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return s[:2] + strings.Repeat("*", len(s)-4) + s[len(s)-2:]
}

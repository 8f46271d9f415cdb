package sharing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// PushInput is one piece of disaster information a department sends in.
type PushInput struct {
	// Key is the idempotency key: a push sent again with it (a retry after
	// a lost answer) is recorded once. The Idempotency-Key header gives
	// it too.
	Key       string          `json:"key"`
	Kind      string          `json:"kind"`
	Region    string          `json:"region"`
	Household string          `json:"household,omitempty"` // 户编号, for household-level pushes
	Data      json.RawMessage `json:"data"`
}

// Push records a department's push once per key: the user's organisation
// must push the kind (emergency management losses and relocations, water
// outages, housing damage, civil affairs 低保/特困 changes), for a region
// inside the organisation's (else 403). The record names where it lands
// and the person who handles it (the organisation's responsible person).
func (s *Service) Push(ctx context.Context, in PushInput) (*backstop.InboundPush, error) {
	u, err := backstop.Authorize(ctx, backstop.PermPush)
	if err != nil {
		return nil, err
	}
	org, err := s.own(ctx, u)
	if err != nil {
		return nil, err
	}
	if org == nil {
		return nil, backstop.Localized(backstop.EFORBIDDEN, "只有部门账号可以推送灾情信息", "Only a department's account pushes information.")
	}
	var problems []backstop.Problem
	key := strings.TrimSpace(in.Key)
	if key == "" || len(key) > backstop.MaxPushKey {
		problems = append(problems, backstop.Problem{Path: "key", Reason: "an idempotency key of 1 to 128 characters is needed (or the Idempotency-Key header)",
			ReasonZH: "须提供 1 至 128 个字符的幂等键（key 字段或 Idempotency-Key 请求头）"})
	}
	kind := backstop.PushKind(in.Kind)
	allowed := backstop.PushKinds[org.Kind]
	if !slices.Contains(allowed, kind) {
		names := make([]string, len(allowed))
		for i, k := range allowed {
			names[i] = string(k)
		}
		if len(allowed) == 0 {
			return nil, backstop.Localized(backstop.EFORBIDDEN, "%s没有可推送的灾情信息类别", "The %s pushes no disaster information.", org.Kind.Name())
		}
		problems = append(problems, backstop.Problem{Path: "kind", Reason: "the " + org.Kind.Name().EN + " pushes " + strings.Join(names, ", "),
			ReasonZH: org.Kind.Name().ZH + "可推送的类别：" + strings.Join(names, "、")})
	}
	region, rerr := backstop.NormalizeRegionCode(in.Region)
	if rerr != nil {
		problems = append(problems, backstop.Problem{Path: "region", Reason: "a region code of 6, 9 or 12 digits", ReasonZH: "区划代码须为 6、9 或 12 位数字"})
	}
	household := strings.TrimSpace(in.Household)
	if household != "" && (len(household) > 32 || strings.Trim(household, "0123456789") != "") {
		problems = append(problems, backstop.Problem{Path: "household", Reason: "a household number (户编号) is digits", ReasonZH: "户编号须为数字"})
	} else if household != "" && rerr == nil && !strings.HasPrefix(household, backstop.CodePrefix(region)) {
		problems = append(problems, backstop.Problem{Path: "household", Reason: "the household number does not lie in the region", ReasonZH: "户编号不在所报区划内"})
	}
	data := bytes.TrimSpace(in.Data)
	switch {
	case len(data) == 0:
		problems = append(problems, backstop.Problem{Path: "data", Reason: "the information itself is missing", ReasonZH: "缺少推送内容（data）"})
	case len(data) > backstop.MaxPushBytes:
		return nil, backstop.Localized(backstop.ETOOLARGE, "推送内容超过 %d KiB", "The data of a push is at most %d KiB.", backstop.MaxPushBytes>>10)
	case data[0] != '{' || !json.Valid(data):
		problems = append(problems, backstop.Problem{Path: "data", Reason: "data is a JSON object", ReasonZH: "推送内容须为 JSON 对象"})
	}
	if len(problems) > 0 {
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: "The push has problems: " + problems[0].Path + ": " + problems[0].Reason + ".",
			ZH: "推送有误：" + problems[0].ReasonZH, Details: problems}
	}
	if !backstop.CodeWithin(region, org.Region) {
		return nil, backstop.Localized(backstop.EFORBIDDEN, "推送的区划%s不在本部门的范围（%s）内", "The push's region %s lies outside the organisation's (%s).", region, org.Region)
	}
	var compact bytes.Buffer
	json.Compact(&compact, data)
	h := sha256.New()
	for _, part := range [][]byte{[]byte(kind), []byte(region), []byte(household), compact.Bytes()} {
		h.Write(part)
		h.Write([]byte{0})
	}
	p := &backstop.InboundPush{OrgID: org.ID, Key: key, Kind: kind, Region: region, Household: household, Data: compact.Bytes(), BodySHA256: hex.EncodeToString(h.Sum(nil)),
		Destination: backstop.PushDestination(kind), State: "received", Assignee: org.Contact}
	got, err := s.Store.RecordPush(ctx, p)
	if err != nil {
		return nil, err
	}
	if !got.Replayed && got.Destination == backstop.DestReferral && s.Refer != nil {
		target, err := s.Refer(ctx, got)
		switch {
		case err != nil:
			// The record stays received, with what kept it from landing.
			s.logger().Info("sharing: push not routed", "push", got.ID, "err", backstop.ErrorMessage(err))
		case target != "":
			if err := s.Store.RoutePush(ctx, got.ID, target); err != nil {
				return nil, err
			}
			got.State, got.Target = "routed", target
		}
	}
	return maskPush(got), nil
}

// Pushes pages pushes: a department's own, or those of the user's region
// (of an organisation, when given).
func (s *Service) Pushes(ctx context.Context, org int64, kind string, offset, limit int) ([]*backstop.InboundPush, int, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := u.Require(backstop.PermReadSharing); err != nil {
		return nil, 0, err
	}
	own, err := s.own(ctx, u)
	if err != nil {
		return nil, 0, err
	}
	if own != nil {
		org = own.ID
	}
	items, total, err := s.Store.FindPushes(ctx, org, backstop.PushKind(kind), offset, limit)
	for _, p := range items {
		maskPush(p)
	}
	return items, total, err
}

// maskPush masks what looks like an ID number or a phone anywhere in a
// push's data (departments send what their systems hold), and birth dates
// down to the year, before it is shown.
func maskPush(p *backstop.InboundPush) *backstop.InboundPush {
	d := json.NewDecoder(bytes.NewReader(p.Data))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return p
	}
	if b, err := json.Marshal(maskValue("", v)); err == nil {
		p.Data = b
	}
	return p
}

func maskValue(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = maskValue(k, e)
		}
	case []any:
		for i, e := range x {
			x[i] = maskValue(key, e)
		}
	case string:
		k := strings.ToLower(key)
		if (strings.Contains(k, "birth") || strings.Contains(key, "出生")) && len(x) >= 4 {
			return backstop.BirthYear(x)
		}
		return backstop.MaskPersonalNumbers(x)
	case json.Number:
		if m := backstop.MaskPersonalNumbers(x.String()); m != x.String() {
			return m
		}
	}
	return v
}

// Package assets is the use case of poverty-alleviation project assets
// (扶贫项目资产): the register (operating, public-welfare and household
// classes; owner, location, value, source project); after an event the
// damage, and one of restore, put to new use (盘活) or dispose, proposed by
// the township or county and approved (by another officer than the
// proposer) with the record of what was done; a list per event.
package assets

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangye-backstop/backstop"
)

// Store is what assets need of storage.
type Store interface {
	backstop.AssetService
}

// Service runs the asset use cases.
type Service struct {
	Store Store
	Now   func() time.Time
}

func (s *Service) today() string {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return now().In(backstop.Beijing).Format(time.DateOnly)
}

func problem(path, en, zh string) backstop.Problem {
	return backstop.Problem{Path: path, Reason: en, ReasonZH: zh}
}

func invalid(what, whatZH string, problems []backstop.Problem) error {
	return &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("The %s has %d problem(s): %s: %s.", what, len(problems), problems[0].Path, problems[0].Reason),
		ZH: fmt.Sprintf("%s有 %d 处问题：%s", whatZH, len(problems), problems[0].ReasonZH), Details: problems}
}

func text(path, v string, max int, required bool, problems []backstop.Problem) (string, []backstop.Problem) {
	v = strings.TrimSpace(v)
	if (required && v == "") || utf8.RuneCountInString(v) > max {
		problems = append(problems, problem(path, fmt.Sprintf("1 to %d characters", max), fmt.Sprintf("须填写，最多 %d 个字", max)))
	}
	return v, problems
}

// Input is an asset as registered.
type Input struct {
	Name      string  `json:"name"`
	Class     string  `json:"class"`
	Owner     string  `json:"owner"`
	Village   string  `json:"village"`
	Location  string  `json:"location,omitempty"`
	Value     float64 `json:"value"`
	ProjectID int64   `json:"project_id,omitempty"`
}

// Register adds an asset to the register.
func (s *Service) Register(ctx context.Context, in Input) (*backstop.Asset, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageAssets); err != nil {
		return nil, err
	}
	var problems []backstop.Problem
	a := &backstop.Asset{Class: backstop.AssetClass(in.Class), Value: in.Value, ProjectID: in.ProjectID}
	a.Name, problems = text("name", in.Name, backstop.MaxAssetName, true, problems)
	a.Owner, problems = text("owner", in.Owner, backstop.MaxAssetName, true, problems)
	a.Location, problems = text("location", in.Location, backstop.MaxAssetText, false, problems)
	if !slices.Contains(backstop.AssetClasses, a.Class) {
		problems = append(problems, problem("class", "operating, public_welfare or household", "资产类别须为 operating（经营性）、public_welfare（公益性）或 household（到户类）"))
	}
	village, err := backstop.NormalizeRegionCode(in.Village)
	if err != nil || backstop.LevelOfCode(village) != backstop.LevelVillage {
		problems = append(problems, problem("village", "the village's 12-digit code", "所在村须为12位村级代码"))
	}
	a.Village = village
	if math.IsNaN(a.Value) || a.Value < 0 || a.Value > backstop.MaxAssetValue {
		problems = append(problems, problem("value", fmt.Sprintf("0 to %.0f yuan", backstop.MaxAssetValue), fmt.Sprintf("资产价值须在 0 至 %.0f 元之间", backstop.MaxAssetValue)))
	}
	if len(problems) > 0 {
		return nil, invalid("asset", "资产", problems)
	}
	if err := s.Store.CreateAsset(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Asset returns one asset with its damages.
func (s *Service) Asset(ctx context.Context, id int64) (*backstop.Asset, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	return s.Store.FindAsset(ctx, id)
}

// Assets pages the register.
func (s *Service) Assets(ctx context.Context, f backstop.AssetFilter) ([]*backstop.Asset, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, 0, err
	}
	return s.Store.FindAssets(ctx, f)
}

// DamageInput is an asset's damage by an event.
type DamageInput struct {
	Event       string  `json:"event"`
	Date        string  `json:"date"`
	Loss        float64 `json:"loss"`
	Description string  `json:"description"`
}

// RecordDamage marks an asset damaged by an event.
func (s *Service) RecordDamage(ctx context.Context, assetID int64, in DamageInput) (*backstop.AssetDamage, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageAssets); err != nil {
		return nil, err
	}
	var problems []backstop.Problem
	d := &backstop.AssetDamage{AssetID: assetID, Date: in.Date, Loss: in.Loss}
	d.Event, problems = text("event", in.Event, backstop.MaxAssetName, true, problems)
	d.Description, problems = text("description", in.Description, backstop.MaxAssetText, true, problems)
	if _, err := time.Parse(time.DateOnly, in.Date); err != nil || in.Date > s.today() {
		problems = append(problems, problem("date", "the date of the damage (YYYY-MM-DD, not in the future)", "请填写损毁日期（YYYY-MM-DD，不晚于今天）"))
	}
	if math.IsNaN(d.Loss) || d.Loss < 0 || d.Loss > backstop.MaxAssetValue {
		problems = append(problems, problem("loss", "the loss in yuan", "损失金额有误"))
	}
	if len(problems) > 0 {
		return nil, invalid("damage", "损毁记录", problems)
	}
	if err := s.Store.RecordDamage(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}

// Proposal proposes what becomes of a damage, from the state the caller
// saw.
type Proposal struct {
	From     string `json:"from"` // "" (nothing proposed yet) or rejected
	Decision string `json:"decision"`
	Note     string `json:"note"`
}

// Propose proposes restoring, putting to new use or disposing of a
// damaged asset, with the reason.
func (s *Service) Propose(ctx context.Context, damageID int64, in Proposal) (*backstop.AssetDamage, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermManageAssets); err != nil {
		return nil, err
	}
	var problems []backstop.Problem
	decision := backstop.AssetDecision(in.Decision)
	if _, ok := backstop.AssetDecisions[decision]; !ok {
		problems = append(problems, problem("decision", "restore, repurpose or dispose", "处置方式须为 restore（恢复）、repurpose（盘活利用）或 dispose（处置）"))
	}
	from := backstop.DecisionState(in.From)
	if from != backstop.DecisionOpen && from != backstop.DecisionRejected {
		problems = append(problems, problem("from", "a proposal follows nothing or a rejection", "只能在未提出或被驳回后提出"))
	}
	note, problems := text("note", in.Note, backstop.MaxAssetText, true, problems)
	if len(problems) > 0 {
		return nil, invalid("proposal", "处置意见", problems)
	}
	return s.Store.ProposeDecision(ctx, damageID, from, decision, note)
}

// Approval decides a proposal.
type Approval struct {
	Approve bool   `json:"approve"`
	Record  string `json:"record"`
}

// Decide approves a proposal (with the record of what is done) or
// rejects it (with the reason); the approver is not the proposer.
func (s *Service) Decide(ctx context.Context, damageID int64, in Approval) (*backstop.AssetDamage, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermApproveAssets); err != nil {
		return nil, err
	}
	record, problems := text("record", in.Record, backstop.MaxAssetText, true, nil)
	if len(problems) > 0 {
		return nil, invalid("approval", "审批", problems)
	}
	return s.Store.DecideDamage(ctx, damageID, in.Approve, record)
}

// EventDamages lists an event's damaged assets and what was decided.
func (s *Service) EventDamages(ctx context.Context, event string) ([]*backstop.AssetDamage, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadPrepared); err != nil {
		return nil, err
	}
	return s.Store.EventDamages(ctx, strings.TrimSpace(event))
}

package backstop

import (
	"context"
	"time"
)

// Insurance as a market mechanism (notice 三(四)): products, the policies
// households hold, claims after a disaster with their payouts — which are
// 理赔收入 in a household's loss assessment —, and which exposed key-group
// households have no house insurance.

// InsuranceKind is the class of a product.
type InsuranceKind string

// Product kinds.
const (
	InsuranceHouse       InsuranceKind = "house"        // 农房保险
	InsuranceAgriculture InsuranceKind = "agriculture"  // 农业保险
	InsuranceAntiPoverty InsuranceKind = "anti_poverty" // 防贫保险
	InsuranceAccident    InsuranceKind = "accident"     // 意外伤害保险
	InsuranceOther       InsuranceKind = "other"
)

// InsuranceKinds lists them.
var InsuranceKinds = []InsuranceKind{InsuranceHouse, InsuranceAgriculture, InsuranceAntiPoverty, InsuranceAccident, InsuranceOther}

// PremiumPayer is who pays a product's premium.
type PremiumPayer string

// Premium payers.
const (
	PaidByGovernment PremiumPayer = "government"
	PaidByHousehold  PremiumPayer = "household"
	PaidShared       PremiumPayer = "shared"
)

// InsuranceProduct is one product offered in a region.
type InsuranceProduct struct {
	ID      int64         `json:"id"`
	Code    string        `json:"code"`
	Name    string        `json:"name"`
	Kind    InsuranceKind `json:"kind"`
	Insurer string        `json:"insurer"`
	Region  string        `json:"region"`
	// Cover is the sum insured per household (yuan); Premium per household
	// per year, and who pays it (with the household's share when shared).
	Cover          float64      `json:"cover"`
	Premium        float64      `json:"premium"`
	Payer          PremiumPayer `json:"payer"`
	HouseholdShare float64      `json:"household_share,omitempty"`
	Perils         []string     `json:"perils"` // hazard codes and other perils
	CreatedAt      time.Time    `json:"created_at"`
}

// InsurancePolicy is a product held by a household for a period.
type InsurancePolicy struct {
	ID          int64         `json:"id"`
	ProductID   int64         `json:"product_id"`
	ProductKind InsuranceKind `json:"product_kind,omitempty"`
	ProductName string        `json:"product_name,omitempty"`
	Number      string        `json:"number"` // the insurer's policy number
	Household   string        `json:"household"`
	HouseholdID int64         `json:"-"`
	Village     string        `json:"village,omitempty"`
	HeadName    string        `json:"head_name,omitempty"`
	From        string        `json:"from"` // YYYY-MM-DD
	To          string        `json:"to"`   // last day covered
	Cover       float64       `json:"cover"`
	Source      string        `json:"source"` // entered, or import:<file>
	CreatedAt   time.Time     `json:"created_at"`
}

// ClaimState is where a claim stands.
type ClaimState string

// Claim states.
const (
	ClaimFiled   ClaimState = "filed"
	ClaimPaid    ClaimState = "paid"
	ClaimRefused ClaimState = "refused"
)

// InsuranceClaim is a claim after an event on a policy, linked to the
// household's loss report when there is one; a paid claim's payout counts
// as 理赔收入 in the household's assessment.
type InsuranceClaim struct {
	ID         int64      `json:"id"`
	PolicyID   int64      `json:"policy_id"`
	Household  string     `json:"household"`
	Event      string     `json:"event,omitempty"`
	LossReport int64      `json:"loss_report_id,omitempty"`
	FiledOn    string     `json:"filed_on"`
	Claimed    float64    `json:"claimed"`
	State      ClaimState `json:"state"`
	Payout     float64    `json:"payout"`
	PaidOn     string     `json:"paid_on,omitempty"`
	Note       string     `json:"note,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by"`
}

// Insurance limits.
const (
	MaxInsuranceAmount = 1e8
	MaxPolicyNumber    = 64
	MaxPolicyImportRow = 100000
)

// InsuranceGap is a key-group household without house insurance in force.
type InsuranceGap struct {
	Household string   `json:"household"`
	HeadName  string   `json:"head_name"`
	Village   string   `json:"village"`
	Groups    []string `json:"groups"`
}

// InsuranceCoverage is a village's house-insurance coverage of its
// key-group households.
type InsuranceCoverage struct {
	Village   string `json:"village"`
	Name      string `json:"name"`
	KeyGroup  int    `json:"key_group_households"`
	Insured   int    `json:"insured"`
	Uninsured int    `json:"uninsured"`
}

// InsuranceService stores products, policies and claims.
type InsuranceService interface {
	CreateProduct(ctx context.Context, p *InsuranceProduct) error
	FindProducts(ctx context.Context) ([]*InsuranceProduct, error)
	FindProduct(ctx context.Context, id int64) (*InsuranceProduct, error)
	// CreateInsurancePolicies stores policies, all or none; a household outside the
	// user's region or unknown is an error naming its row.
	CreateInsurancePolicies(ctx context.Context, ps []*InsurancePolicy) error
	FindInsurancePolicies(ctx context.Context, household, region string, offset, limit int) ([]*InsurancePolicy, int, error)
	CreateClaim(ctx context.Context, c *InsuranceClaim) error
	// SettleClaim records a claim's outcome (compare-and-set on filed).
	SettleClaim(ctx context.Context, id int64, state ClaimState, payout float64, paidOn, note string) (*InsuranceClaim, error)
	FindClaims(ctx context.Context, household, event string, offset, limit int) ([]*InsuranceClaim, int, error)
	// ClaimIncome is the sum of payouts a household was paid on claims
	// filed on or after since (the 理赔收入 of an assessment), with the
	// claims it sums.
	ClaimIncome(ctx context.Context, householdID int64, since string) (float64, []int64, error)
	// InsuranceGaps lists the key-group households in region (of a
	// warning's exposure snapshot, when not 0) with no house policy in
	// force on date, and the coverage per village.
	InsuranceGaps(ctx context.Context, region, date string, snapshot int64, offset, limit int) ([]*InsuranceGap, int, []*InsuranceCoverage, error)
}

package backstop

import (
	"context"
	"time"
)

// Poverty-alleviation project assets (扶贫项目资产, notice 三(三)): the
// register, and after a disaster the damage and what becomes of the asset
// — restored, put to new use (盘活) or disposed of — with its approval.

// AssetClass is the register's class of an asset.
type AssetClass string

// Asset classes.
const (
	AssetOperating AssetClass = "operating"      // 经营性资产
	AssetPublic    AssetClass = "public_welfare" // 公益性资产
	AssetHousehold AssetClass = "household"      // 到户类资产
)

// AssetClasses lists them.
var AssetClasses = []AssetClass{AssetOperating, AssetPublic, AssetHousehold}

// AssetState is an asset's standing.
type AssetState string

// Asset states.
const (
	AssetInUse      AssetState = "in_use"
	AssetDamaged    AssetState = "damaged"    // damage recorded, nothing decided yet
	AssetRestored   AssetState = "restored"   // 恢复
	AssetRepurposed AssetState = "repurposed" // 盘活利用
	AssetDisposed   AssetState = "disposed"   // 处置
)

// AssetDecision is what becomes of a damaged asset.
type AssetDecision string

// Decisions after damage.
const (
	DecideRestore   AssetDecision = "restore"
	DecideRepurpose AssetDecision = "repurpose"
	DecideDispose   AssetDecision = "dispose"
)

// AssetDecisions lists them, with the state each leads to once approved.
var AssetDecisions = map[AssetDecision]AssetState{DecideRestore: AssetRestored, DecideRepurpose: AssetRepurposed, DecideDispose: AssetDisposed}

// Asset is one registered asset.
type Asset struct {
	ID       int64      `json:"id"`
	Name     string     `json:"name"`
	Class    AssetClass `json:"class"`
	Owner    string     `json:"owner"` // 产权归属: a village collective, a household, a cooperative …
	Village  string     `json:"village"`
	Location string     `json:"location,omitempty"`
	Value    float64    `json:"value"` // yuan, as registered
	// ProjectID is the project it came from, if it is in the library.
	ProjectID int64          `json:"project_id,omitempty"`
	State     AssetState     `json:"state"`
	Damages   []*AssetDamage `json:"damages,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	CreatedBy string         `json:"created_by"`
}

// Asset limits.
const (
	MaxAssetName  = 200
	MaxAssetValue = 1e10
	MaxAssetText  = 2000
)

// DecisionState is where a decision about a damaged asset stands.
type DecisionState string

// Decision states.
const (
	DecisionOpen     DecisionState = ""         // damage recorded, nothing proposed
	DecisionProposed DecisionState = "proposed" // waiting for approval
	DecisionApproved DecisionState = "approved"
	DecisionRejected DecisionState = "rejected" // a new proposal may follow
)

// AssetDamage is the damage of an asset by one disaster and what was
// decided about it.
type AssetDamage struct {
	ID      int64  `json:"id"`
	AssetID int64  `json:"asset_id"`
	Event   string `json:"event"` // the disaster: an event id or its name
	Date    string `json:"date"`  // YYYY-MM-DD
	// Loss is the estimated loss in yuan; Description what happened.
	Loss         float64       `json:"loss"`
	Description  string        `json:"description"`
	Decision     AssetDecision `json:"decision,omitempty"`
	DecisionNote string        `json:"decision_note,omitempty"`
	State        DecisionState `json:"decision_state"`
	ProposedBy   string        `json:"proposed_by,omitempty"`
	ApprovedBy   string        `json:"approved_by,omitempty"`
	DecidedAt    *time.Time    `json:"decided_at,omitempty"`
	// Record is what was done (the restoration, the new use, the disposal
	// and its proceeds), written on approval.
	Record    string    `json:"record,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	// Asset fields for lists per event.
	AssetName  string     `json:"asset_name,omitempty"`
	AssetClass AssetClass `json:"asset_class,omitempty"`
	Village    string     `json:"village,omitempty"`
}

// AssetFilter selects assets in the user's region.
type AssetFilter struct {
	Region string
	Class  AssetClass
	State  AssetState
	Offset int
	Limit  int
}

// AssetService stores the register.
type AssetService interface {
	CreateAsset(ctx context.Context, a *Asset) error
	FindAsset(ctx context.Context, id int64) (*Asset, error)
	FindAssets(ctx context.Context, f AssetFilter) ([]*Asset, int, error)
	// RecordDamage marks an asset damaged by an event.
	RecordDamage(ctx context.Context, d *AssetDamage) error
	// ProposeDecision proposes what becomes of a damage (state open or
	// rejected → proposed, compare-and-set).
	ProposeDecision(ctx context.Context, damageID int64, from DecisionState, decision AssetDecision, note string) (*AssetDamage, error)
	// DecideDamage approves or rejects a proposal (compare-and-set on
	// proposed); approval moves the asset to the decision's state.
	DecideDamage(ctx context.Context, damageID int64, approve bool, record string) (*AssetDamage, error)
	// EventDamages lists the damages of an event in the user's region.
	EventDamages(ctx context.Context, event string) ([]*AssetDamage, error)
}

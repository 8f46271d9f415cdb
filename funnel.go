package backstop

import (
	"context"
	"time"
)

// The loop's dashboard (发现一户、监测一户、帮扶一户、动态清零一户): how many
// households of a region were found at risk, put under monitoring, helped
// and cleared, with the figures that say whether the loop turns on time.

// FunnelFigures are the loop's figures of one region.
type FunnelFigures struct {
	// Found counts households at risk: a current at-risk assessment or a
	// case (any source: assessment, self-report, referral, by hand).
	Found int `json:"found"`
	// Unopened counts the found households that have no case yet.
	Unopened int `json:"unopened"`
	// Monitored counts households whose case reached monitoring (active,
	// in clearing, cleared or held as 暂不标注).
	Monitored int `json:"monitored"`
	// Helped counts monitored households with a measure started or done.
	Helped int `json:"helped"`
	// Cleared counts households whose case was cleared (风险消除).
	Cleared int `json:"cleared"`
	// Held counts households held as 暂不标注 (no labour, safety net).
	Held int `json:"held"`
	// Open counts the cases still open; Overdue those of them with a step
	// or a procedure debt past its due date.
	Open    int `json:"open"`
	Overdue int `json:"overdue"`
	// OpenDebts counts the unpaid procedure debts (程序待补) of green-channel
	// cases; OverdueDebts those past due.
	OpenDebts    int `json:"open_debts"`
	OverdueDebts int `json:"overdue_debts"`
	// GreenChannel counts the cases opened on the green channel.
	GreenChannel int `json:"green_channel"`
}

// OverdueShare is Overdue ÷ Open (0 with nothing open).
func (f FunnelFigures) OverdueShare() float64 {
	if f.Open == 0 {
		return 0
	}
	return float64(f.Overdue) / float64(f.Open)
}

// InclusionSpan is how many cases went from their report (the case's
// opening) to inclusion (风险识别, identified_on) between two dates.
type InclusionSpan struct {
	From, To string // YYYY-MM-DD, Beijing time
	Cases    int
}

// FunnelCounts is what the store counts for a region and its direct
// sub-regions in one pass.
type FunnelCounts struct {
	Total FunnelFigures
	// Children holds the figures by sub-region code (only sub-regions with
	// any figure).
	Children map[string]*FunnelFigures
	// Spans are the monitored cases' report and inclusion dates, grouped.
	Spans []InclusionSpan
	// Measures counts the measures not refused by category; Started those
	// started or done.
	Measures map[string]int
	Started  map[string]int
}

// FunnelStore counts the loop within the user's scope.
type FunnelStore interface {
	// FunnelCounts counts region's figures (the user's region applies too)
	// and those of its sub-regions, whose codes are childPrefix digits
	// long; now decides what is overdue.
	FunnelCounts(ctx context.Context, region string, childPrefix int, now time.Time) (*FunnelCounts, error)
}

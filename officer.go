package backstop

import (
	"context"
	"time"
)

// Disaster information officers (灾害信息员, notice 三(一)): a roster per
// village and township, every village covered by at least one, trained
// in tiers (city, county, township).

// Officer is one disaster information officer.
type Officer struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Phone is masked in every answer.
	Phone      string `json:"phone"`
	Region     string `json:"region"` // the village or township served (12-digit)
	Department string `json:"department,omitempty"`
	Since      string `json:"since"` // YYYY-MM-DD
	// Until is set when the officer stopped serving; a roster lists the
	// serving ones.
	Until string `json:"until,omitempty"`
	// User is the account that files loss reports for the officer's area
	// (role info_officer, region inside Region), if any.
	User string `json:"user,omitempty"`
	// LastTrained is the date of the latest training attended, if any.
	LastTrained string `json:"last_trained,omitempty"`
	// TrainingDue: no training within the policy's period.
	TrainingDue bool      `json:"training_due"`
	CreatedAt   time.Time `json:"created_at"`
}

// Officer limits.
const (
	MaxOfficerName = 50
	MaxDepartment  = 100
)

// Serving tells whether the officer serves on the date (YYYY-MM-DD).
func (o *Officer) Serving(date string) bool {
	return o.Since <= date && (o.Until == "" || o.Until > date)
}

// TrainingLevel is who runs a training session.
type TrainingLevel string

// Training levels (分级培训).
const (
	TrainingCity     TrainingLevel = "city"
	TrainingCounty   TrainingLevel = "county"
	TrainingTownship TrainingLevel = "township"
)

// TrainingLevels lists them.
var TrainingLevels = []TrainingLevel{TrainingCity, TrainingCounty, TrainingTownship}

// TrainingSession is one training: date, level, topic, hours and who
// attended.
type TrainingSession struct {
	ID        int64         `json:"id"`
	Region    string        `json:"region"` // who ran it: the city, a county or a township
	Level     TrainingLevel `json:"level"`
	Date      string        `json:"date"`
	Topic     string        `json:"topic"`
	Hours     float64       `json:"hours"`
	Place     string        `json:"place,omitempty"`
	Attendees []int64       `json:"attendees"` // officer ids
	CreatedAt time.Time     `json:"created_at"`
	CreatedBy string        `json:"created_by"`
}

// Training limits.
const (
	MaxTrainingTopic     = 200
	MaxTrainingHours     = 200
	MaxTrainingAttendees = 2000
)

// TrainingRecord is one officer's attendance of a session.
type TrainingRecord struct {
	SessionID int64         `json:"session_id"`
	Date      string        `json:"date"`
	Level     TrainingLevel `json:"level"`
	Topic     string        `json:"topic"`
	Hours     float64       `json:"hours"`
}

// OfficerCoverage is how a region's villages are covered by serving
// officers on a date: the villages, how many have one, and the others.
type OfficerCoverage struct {
	Region   string        `json:"region"`
	Date     string        `json:"date"`
	Villages int           `json:"villages"`
	Covered  int           `json:"covered"`
	Gaps     []CoverageGap `json:"gaps"`
}

// CoverageGap is a village without a serving officer.
type CoverageGap struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Township string `json:"township"`
	// TownshipOfficers are officers serving the whole township, who may
	// stand in until the village has its own.
	TownshipOfficers int `json:"township_officers"`
}

// OfficerFilter selects officers in the user's region.
type OfficerFilter struct {
	Region string
	Query  string // part of the name
	// Date: serving on it ("" for today's roster, as the caller sets it).
	Date string
	// DueBefore: officers whose last training is before it, or who have
	// none (the due list).
	DueBefore string
	All       bool // also those who stopped serving
	Offset    int
	Limit     int
}

// OfficerService stores the roster and its training.
type OfficerService interface {
	CreateOfficer(ctx context.Context, o *Officer) error
	UpdateOfficer(ctx context.Context, o *Officer) error
	FindOfficer(ctx context.Context, id int64) (*Officer, error)
	FindOfficers(ctx context.Context, f OfficerFilter) ([]*Officer, int, error)
	OfficerCoverage(ctx context.Context, region, date string) (*OfficerCoverage, error)
	CreateTraining(ctx context.Context, s *TrainingSession) error
	FindTrainings(ctx context.Context, region string, year int) ([]*TrainingSession, error)
	OfficerTrainings(ctx context.Context, officerID int64) ([]*TrainingRecord, error)
}

package backstop

import "context"

// Store is every storage service, as the edges (HTTP, web, CLI) use them.
// sqlstore.DB implements it on SQLite and PostgreSQL.
type Store interface {
	RegionService
	HouseholdService
	UserService
	AuditService
	RosterStore
	PolicyService
	WarningService
	ExposureService
	HouseholdPointSource
	ConsultationService
	FeedService
	QuarantineService
	ReleaseService
	OutboxService
	FieldTaskService
	ClockService
	MonitoringService
	TemplateService
	ContactService
	CalendarService
	PlanService
	OfficerService
	SharingService
	ProjectService
	AssetService
	InsuranceService
	PublicityService
	EventService
	CampaignService
	LossReportService
	IntakeService
	CaseStore
	// Ping tells whether the database answers, for health checks.
	Ping(ctx context.Context) error
}

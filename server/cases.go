package server

import (
	"path/filepath"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/cases"
	"github.com/zhangye-backstop/backstop/sqlstore"
)

// monitorCases assembles the cases use case (issue 12): its clocks
// escalate overdue steps and procedure debts (township, then county)
// through the outbox; cases opened and cleared are told to departments.
func (s *Server) monitorCases(db *sqlstore.DB, cfg Config) {
	s.Cases = &cases.Service{Store: db, Clocks: s.Clocks, Events: s.Sharing, Logger: cfg.Logger, AttachDir: filepath.Join(cfg.DataDir, "case-attachments"),
		MaxAttachment: cfg.MaxPhotoBytes}
	s.Clocks.Register(backstop.ClockCaseStep, s.Cases.Overdue)
	s.Clocks.Register(backstop.ClockCaseDebt, s.Cases.Overdue)
}

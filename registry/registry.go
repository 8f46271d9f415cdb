// Package registry is the use-case layer of the household registry: what
// the API, the web UI and the CLI do with households, members, roster
// imports and exports. Each method checks the acting user's permission,
// writes the audit row where one is due and calls the store; the store
// applies the user's region scope inside its queries.
package registry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/roster"
)

// Store is what the registry needs of storage.
type Store interface {
	backstop.RegionService
	backstop.HouseholdService
	backstop.RosterStore
	backstop.AuditService
	HouseholdTasks(ctx context.Context, householdID int64, limit, offset int) ([]*backstop.HouseholdTask, int, error)
}

// Service runs the registry's use cases.
type Service struct {
	Store  Store
	Logger *slog.Logger
	// OnImportRows is told how many rows imports read, for metrics.
	OnImportRows func(n int)

	imports chan struct{}
}

// New makes the service; at most maxImports roster imports run at once
// (each holds a writer transaction and a file's worth of work).
func New(store Store, logger *slog.Logger, maxImports int) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{Store: store, Logger: logger, imports: make(chan struct{}, max(maxImports, 1))}
}

// FindHouseholds returns a page of households, masked.
func (s *Service) FindHouseholds(ctx context.Context, f backstop.HouseholdFilter) ([]*backstop.Household, int, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReadRegistry)
	if err != nil {
		return nil, 0, err
	}
	// A search by a full ID number answers whether a guess is right: with
	// the masked number's 10 shown digits and the birth year beside it, a
	// few hundred searches rebuild it, without a reveal or an audit row.
	if q := strings.TrimSpace(f.Query); !u.Can(backstop.PermRevealPII) && q != "" {
		if _, _, err := backstop.ValidateIDNumber(q); err == nil {
			return nil, 0, backstop.Localized(backstop.EFORBIDDEN, "您的角色（%s）无权查看完整证件号码，因此不能按证件号码查询；请按姓名、户编号或人编号查询",
				"Your role (%s) may not see full ID numbers, so it may not search by one; search by name, household or person number.", u.Role.NameZH())
		}
	}
	items, total, err := s.Store.FindHouseholds(ctx, f)
	for i, h := range items {
		items[i] = h.Mask()
	}
	return items, total, err
}

// FindHousehold returns one household with its members, masked.
func (s *Service) FindHousehold(ctx context.Context, number string) (*backstop.Household, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, err
	}
	h, err := s.Store.FindHousehold(ctx, number)
	if err != nil {
		return nil, err
	}
	return h.Mask(), nil
}

// RevealHousehold returns the household unmasked: it needs the reveal
// permission and leaves an audit row before the data is returned.
func (s *Service) RevealHousehold(ctx context.Context, number string) (*backstop.Household, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermRevealPII); err != nil {
		return nil, err
	}
	h, err := s.Store.FindHousehold(ctx, number)
	if err != nil {
		return nil, err
	}
	if err := s.Store.Audit(ctx, "pii.reveal", "household", number, "ID numbers and phones shown"); err != nil {
		return nil, err
	}
	return h, nil
}

// refuseMasked stops a client from writing back masked values it read.
func refuseMasked(h *backstop.Household) error {
	for _, m := range h.Members {
		if strings.Contains(m.IDNumber, "*") || strings.Contains(m.Phone, "*") {
			return backstop.Localized(backstop.EINVALID, "成员%s的身份证号或电话是脱敏后的值：请先以明文读取（reveal=1）再写回，或不提交成员",
				"Member %s carries a masked ID number or phone: read with reveal=1 before writing back, or leave members out.", m.Number)
		}
	}
	if strings.Contains(h.Phone+h.HelperPhone, "*") {
		return backstop.Localized(backstop.EINVALID, "农户的电话是脱敏后的值：请先以明文读取（reveal=1）再写回",
			"The household carries a masked phone: read with reveal=1 before writing back.")
	}
	return nil
}

// CreateHousehold stores a new household with its members and returns it
// masked.
func (s *Service) CreateHousehold(ctx context.Context, h *backstop.Household) (*backstop.Household, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermWriteRegistry); err != nil {
		return nil, err
	}
	if err := refuseMasked(h); err != nil {
		return nil, err
	}
	if err := s.Store.CreateHousehold(ctx, h); err != nil {
		return nil, err
	}
	return s.FindHousehold(ctx, h.Number)
}

// UpdateHousehold replaces a household's fields (members given are
// upserted) and returns it masked.
func (s *Service) UpdateHousehold(ctx context.Context, h *backstop.Household) (*backstop.Household, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermWriteRegistry); err != nil {
		return nil, err
	}
	if err := refuseMasked(h); err != nil {
		return nil, err
	}
	if err := s.Store.UpdateHousehold(ctx, h); err != nil {
		return nil, err
	}
	return s.FindHousehold(ctx, h.Number)
}

// DeleteHousehold removes a household from the registry; its history stays.
func (s *Service) DeleteHousehold(ctx context.Context, number string) error {
	if _, err := backstop.Authorize(ctx, backstop.PermWriteRegistry); err != nil {
		return err
	}
	return s.Store.DeleteHousehold(ctx, number)
}

// UpsertMember creates or updates a member and returns the household masked.
func (s *Service) UpsertMember(ctx context.Context, number string, m *backstop.Member) (*backstop.Household, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermWriteRegistry); err != nil {
		return nil, err
	}
	if strings.Contains(m.IDNumber+m.Phone, "*") {
		return nil, refuseMasked(&backstop.Household{Members: []*backstop.Member{m}})
	}
	if err := s.Store.UpsertMember(ctx, number, m); err != nil {
		return nil, err
	}
	return s.FindHousehold(ctx, number)
}

// DeleteMember removes one member.
func (s *Service) DeleteMember(ctx context.Context, number, member string) error {
	if _, err := backstop.Authorize(ctx, backstop.PermWriteRegistry); err != nil {
		return err
	}
	return s.Store.DeleteMember(ctx, number, member)
}

// Tasks lists the field tasks at a household, newest first: the
// warnings that reached it and how each person was confirmed, phones
// masked.
func (s *Service) Tasks(ctx context.Context, h *backstop.Household, limit, offset int) ([]*backstop.HouseholdTask, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, 0, err
	}
	items, total, err := s.Store.HouseholdTasks(ctx, h.ID, limit, offset)
	for _, t := range items {
		t.Phone, t.AssigneePhone = backstop.MaskPhone(t.Phone), backstop.MaskPhone(t.AssigneePhone)
	}
	return items, total, err
}

// History pages the recorded changes of a household, newest first, with
// their total.
func (s *Service) History(ctx context.Context, number string, limit, offset int) ([]*backstop.HistoryEntry, int, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadRegistry); err != nil {
		return nil, 0, err
	}
	items, total, err := s.Store.HouseholdHistory(ctx, number, limit, offset)
	if items == nil {
		items = []*backstop.HistoryEntry{}
	}
	return items, total, err
}

// Export writes the roster in the import layout, masked unless
// opts.Reveal; the export is audited before the first byte is written.
func (s *Service) Export(ctx context.Context, w io.Writer, opts roster.ExportOptions) (int, error) {
	if opts.Format != "csv" && opts.Format != "xlsx" {
		return 0, backstop.Localized(backstop.EINVALID, "导出格式只能是 csv 或 xlsx，不能是“%s”", "format must be csv or xlsx, not %q", opts.Format)
	}
	return roster.Export(ctx, s.Store, w, opts)
}

// AuthorizeImport tells whether the acting user may import, so that an
// edge can refuse an upload before reading it.
func (s *Service) AuthorizeImport(ctx context.Context) error {
	_, err := backstop.Authorize(ctx, backstop.PermWriteRegistry)
	return err
}

// Import imports a roster file. At most the configured number of imports
// run at once; a further one is refused at once (EUNAVAILABLE), so that
// uploads do not pile up behind a long import.
func (s *Service) Import(ctx context.Context, path string, opts backstop.ImportOptions) (*backstop.ImportResult, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermWriteRegistry); err != nil {
		return nil, err
	}
	select {
	case s.imports <- struct{}{}:
		defer func() { <-s.imports }()
	default:
		return nil, backstop.Localized(backstop.EUNAVAILABLE, "同时进行的导入已达上限（%d 个），请稍后再试", "%d imports are running already; try again later.", cap(s.imports))
	}
	if s.OnImportRows != nil {
		last, progress := 0, opts.Progress
		opts.Progress = func(rows int, read, total int64) {
			s.OnImportRows(rows - last)
			last = rows
			if progress != nil {
				progress(rows, read, total)
			}
		}
	}
	return roster.Import(ctx, s.Store, path, opts)
}

// FindImports lists recent imports in the user's scope.
func (s *Service) FindImports(ctx context.Context, limit int) ([]*backstop.ImportResult, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermWriteRegistry); err != nil {
		return nil, err
	}
	items, err := s.Store.FindImports(ctx, limit)
	if items == nil {
		items = []*backstop.ImportResult{}
	}
	return items, err
}

// FindImport returns one import with its problems.
func (s *Service) FindImport(ctx context.Context, id int64) (*backstop.ImportResult, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermWriteRegistry); err != nil {
		return nil, err
	}
	return s.Store.FindImport(ctx, id)
}

// WriteProblemSheet writes an import's error sheet (csv or xlsx).
func (s *Service) WriteProblemSheet(ctx context.Context, w io.Writer, id int64, format string) error {
	res, err := s.FindImport(ctx, id)
	if err != nil {
		return err
	}
	return roster.WriteProblems(w, format, res.Problems)
}

// ProblemSheetName is the download name of an import's error sheet.
func ProblemSheetName(id int64, format string) string {
	return fmt.Sprintf("import-%d-errors.%s", id, format)
}

package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/httpx"
	"github.com/zhangye-backstop/backstop/registry"
	"github.com/zhangye-backstop/backstop/roster"
)

func (s *Server) createImport(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Registry.AuthorizeImport(r.Context()); err != nil {
		return err // before reading a large upload
	}
	path, name, _, err := httpx.SaveUpload(w, r, s.cfg.TempDir, s.cfg.MaxUploadBytes)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	opts := backstop.ImportOptions{FileName: name, DryRun: httpx.Truthy(r, "dry_run"), SkipInvalid: httpx.Truthy(r, "skip_invalid")}
	res, err := s.cfg.Registry.Import(r.Context(), path, opts)
	if err != nil {
		if res != nil && res.ID != 0 {
			var be *backstop.Error
			if errors.As(err, &be) {
				be.Message += fmt.Sprintf(" The import is on record as %d; its error sheet is at /api/v1/imports/%d/problems.", res.ID, res.ID)
			}
		}
		return err
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}

func (s *Server) listImports(w http.ResponseWriter, r *http.Request) error {
	items, err := s.cfg.Registry.FindImports(r.Context(), 50)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(items, len(items)))
	return nil
}

func (s *Server) getImport(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Import")
	if err != nil {
		return err
	}
	res, err := s.cfg.Registry.FindImport(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) importProblems(w http.ResponseWriter, r *http.Request) error {
	id, err := httpx.PathID(r, "Import")
	if err != nil {
		return err
	}
	format, err := httpx.SheetFormat(r)
	if err != nil {
		return err
	}
	return s.cfg.Registry.WriteProblemSheet(r.Context(), httpx.NewDownload(w, format, registry.ProblemSheetName(id, format)), id, format)
}

func (s *Server) exportHouseholds(w http.ResponseWriter, r *http.Request) error {
	f, err := httpx.HouseholdFilter(r)
	if err != nil {
		return err
	}
	format, err := httpx.SheetFormat(r)
	if err != nil {
		return err
	}
	name := "households-" + time.Now().In(backstop.Beijing).Format("20060102-1504") + "." + format
	_, err = s.cfg.Registry.Export(r.Context(), httpx.NewDownload(w, format, name), roster.ExportOptions{Format: format, Filter: f, Reveal: httpx.Truthy(r, "reveal")})
	return err
}

// rosterRoutes are the routes of this file.
func (s *Server) rosterRoutes() []*route {
	return []*route{
		{method: "GET", path: "/api/v1/export/households", summary: "Export the roster (csv or xlsx), masked unless reveal=1; audited", tag: "roster",
			params:   append([]param{{name: "format", in: "query", typ: "string", desc: "csv (default) or xlsx"}, {name: "reveal", in: "query", typ: "boolean", desc: "unmasked (needs the reveal permission)"}}, householdFilterParams[:3]...),
			response: "file", access: access{perm: backstop.PermExport, scope: scopeNone}, handle: s.exportHouseholds},
		{method: "POST", path: "/api/v1/imports", summary: "Import a roster (csv or xlsx): multipart field \"file\" or the raw file as body", tag: "roster",
			params: []param{
				{name: "filename", in: "query", typ: "string", desc: "file name when the body is the raw file"},
				{name: "dry_run", in: "query", typ: "boolean", desc: "check and count, write nothing"},
				{name: "skip_invalid", in: "query", typ: "boolean", desc: "write the good rows, list the bad"},
			}, body: "file", response: "ImportResult", status: http.StatusCreated, access: access{perm: backstop.PermWriteRegistry, scope: scopeWrite}, handle: s.createImport},
		{method: "GET", path: "/api/v1/imports", summary: "Recent imports", tag: "roster", response: "ImportList", access: access{perm: backstop.PermWriteRegistry, scope: scopeNone}, handle: s.listImports},
		{method: "GET", path: "/api/v1/imports/{id}", summary: "One import with its problems", tag: "roster",
			params: []param{{name: "id", in: "path", typ: "integer", required: true, desc: "import id"}}, response: "ImportResult", access: access{perm: backstop.PermWriteRegistry, scope: scopeRead}, handle: s.getImport},
		{method: "GET", path: "/api/v1/imports/{id}/problems", summary: "The error sheet of an import (csv or xlsx)", tag: "roster",
			params:   []param{{name: "id", in: "path", typ: "integer", required: true, desc: "import id"}, {name: "format", in: "query", typ: "string", desc: "csv (default) or xlsx"}},
			response: "file", access: access{perm: backstop.PermWriteRegistry, scope: scopeRead}, handle: s.importProblems},
	}
}

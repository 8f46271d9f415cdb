package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/roster"
)

// SaveUpload stores a request's file (multipart field "file", or the raw
// body) in a temporary file, refusing more than max bytes. Small form
// fields that come before the file are returned too. The caller removes
// the file.
func SaveUpload(w http.ResponseWriter, r *http.Request, dir string, max int64) (path, name string, fields map[string]string, err error) {
	fields = map[string]string{}
	r.Body = http.MaxBytesReader(w, r.Body, max+64<<10)
	var src io.Reader = r.Body
	name = r.URL.Query().Get("filename")
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return "", "", nil, backstop.Errorf(backstop.EINVALID, "The upload is not a valid multipart form: %v", err)
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				return "", "", nil, uploadError(err, max, "The form has no field \"file\".")
			}
			if part.FormName() == "file" {
				src, name = part, part.FileName()
				break
			}
			v, _ := io.ReadAll(io.LimitReader(part, 1024))
			fields[part.FormName()] = string(v)
		}
	}
	if name == "" {
		name = "upload"
	}
	name = filepath.Base(name)
	f, err := os.CreateTemp(dir, "upload-*"+strings.ToLower(filepath.Ext(name)))
	if err != nil {
		return "", "", nil, err
	}
	n, err := io.Copy(f, io.LimitReader(src, max+1))
	f.Close()
	if err == nil && n > max {
		err = &http.MaxBytesError{Limit: max}
	}
	if err != nil {
		os.Remove(f.Name())
		return "", "", nil, uploadError(err, max, "")
	}
	if n == 0 {
		os.Remove(f.Name())
		return "", "", nil, backstop.Localized(backstop.EINVALID, "上传的文件是空的", "The uploaded file is empty.")
	}
	return f.Name(), name, fields, nil
}

func uploadError(err error, max int64, eofMsg string) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return backstop.Localized(backstop.ETOOLARGE, "文件超过上传上限 %s", "The file is larger than the upload limit of %s.", humanBytes(max))
	}
	if errors.Is(err, io.EOF) && eofMsg != "" {
		return backstop.Errorf(backstop.EINVALID, "%s", eofMsg)
	}
	return backstop.Errorf(backstop.EINVALID, "The upload could not be read: %v", err)
}

func (s *Server) createImport(w http.ResponseWriter, r *http.Request) error {
	u, err := backstop.RequireUser(r.Context())
	if err != nil {
		return err
	}
	if err := u.Require(backstop.PermWriteRegistry); err != nil {
		return err
	}
	path, name, _, err := SaveUpload(w, r, s.cfg.TempDir, s.cfg.MaxUploadBytes)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	opts := backstop.ImportOptions{FileName: name, DryRun: truthy(r, "dry_run"), SkipInvalid: truthy(r, "skip_invalid")}
	var last int
	opts.Progress = func(rows int, _, _ int64) {
		s.ImportRows.Add(float64(rows - last))
		last = rows
	}
	res, err := roster.Import(r.Context(), s.store, path, opts)
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
	items, err := s.store.FindImports(r.Context(), 50)
	if err != nil {
		return err
	}
	if items == nil {
		items = []*backstop.ImportResult{}
	}
	writeJSON(w, http.StatusOK, list[*backstop.ImportResult]{Items: items, Total: len(items)})
	return nil
}

func importID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, backstop.Errorf(backstop.ENOTFOUND, "Import %q not found.", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) getImport(w http.ResponseWriter, r *http.Request) error {
	id, err := importID(r)
	if err != nil {
		return err
	}
	res, err := s.store.FindImport(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// WriteProblemSheet answers with an import's error sheet.
func WriteProblemSheet(w http.ResponseWriter, r *http.Request, store backstop.Store, id int64) error {
	res, err := store.FindImport(r.Context(), id)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format != "xlsx" {
		format = "csv"
	}
	setDownload(w, format, fmt.Sprintf("import-%d-errors.%s", id, format))
	return roster.WriteProblems(w, format, res.Problems)
}

func (s *Server) importProblems(w http.ResponseWriter, r *http.Request) error {
	id, err := importID(r)
	if err != nil {
		return err
	}
	return WriteProblemSheet(w, r, s.store, id)
}

func setDownload(w http.ResponseWriter, format, name string) {
	ct := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
}

// ExportRoster answers with a roster export; the web UI uses it too.
func ExportRoster(w http.ResponseWriter, r *http.Request, store backstop.Store) error {
	f, err := HouseholdFilterFrom(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "xlsx" {
		return backstop.Errorf(backstop.EINVALID, "format must be csv or xlsx, not %q", format)
	}
	u, err := backstop.RequireUser(r.Context())
	if err != nil {
		return err
	}
	reveal := truthy(r, "reveal")
	if err := u.Require(backstop.PermExport); err != nil {
		return err
	}
	if reveal {
		if err := u.Require(backstop.PermRevealPII); err != nil {
			return err
		}
	}
	setDownload(w, format, "households-"+time.Now().Format("20060102-1504")+"."+format)
	_, err = roster.Export(r.Context(), store, w, roster.ExportOptions{Format: format, Filter: f, Reveal: reveal})
	return err
}

func (s *Server) exportHouseholds(w http.ResponseWriter, r *http.Request) error {
	return ExportRoster(w, r, s.store)
}

// humanBytes writes a limit as people read it.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

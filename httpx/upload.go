package httpx

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
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
			return "", "", nil, backstop.Localized(backstop.EINVALID, "上传内容不是有效的multipart表单：%v", "The upload is not a valid multipart form: %v", err)
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				return "", "", nil, uploadError(err, max, true)
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
	n, err := io.Copy(f, &steadyReader{r: io.LimitReader(src, max+1), rc: http.NewResponseController(w)})
	f.Close()
	if err == nil && n > max {
		err = &http.MaxBytesError{Limit: max}
	}
	if err != nil {
		os.Remove(f.Name())
		return "", "", nil, uploadError(err, max, false)
	}
	if n == 0 {
		os.Remove(f.Name())
		return "", "", nil, backstop.Localized(backstop.EINVALID, "上传的文件是空的", "The uploaded file is empty.")
	}
	return f.Name(), name, fields, nil
}

func uploadError(err error, max int64, fileMissing bool) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return backstop.Localized(backstop.ETOOLARGE, "文件超过上传上限 %s", "The file is larger than the upload limit of %s.", HumanBytes(max))
	}
	if errors.Is(err, io.EOF) && fileMissing {
		return backstop.Localized(backstop.EINVALID, "表单中没有“file”字段（请选择要上传的文件）", "The form has no field \"file\".")
	}
	return backstop.Localized(backstop.EINVALID, "上传内容无法读取：%v", "The upload could not be read: %v", err)
}

// SetDownload sets the headers of a file download.
func SetDownload(w http.ResponseWriter, format, name string) {
	ct := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
}

// humanBytes writes a limit as people read it.
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// Download is a file answer whose headers are written with its first
// byte, so that a use case that fails before writing anything still
// answers with its error instead of an empty file.
type Download struct {
	w            http.ResponseWriter
	format, name string
	started      bool
}

// NewDownload prepares a download of format (csv, xlsx) named name.
func NewDownload(w http.ResponseWriter, format, name string) *Download {
	return &Download{w: w, format: format, name: name}
}

func (d *Download) Write(b []byte) (int, error) {
	if !d.started {
		d.started = true
		SetDownload(d.w, d.format, d.name)
	}
	return d.w.Write(b)
}

// Started tells whether anything was written: after that an error can
// only cut the file short.
func (d *Download) Started() bool { return d.started }

// Uploads may take longer than the server's read timeout, as long as data
// keeps coming: each uploadStep bytes move the read deadline uploadWindow
// ahead, so a client must send uploadStep bytes per uploadWindow (about
// 1 KiB/s) or be cut off. A large roster on a slow line passes; a
// trickle does not hold the connection.
const uploadStep = 32 << 10

var uploadWindow = 30 * time.Second // a variable for tests

type steadyReader struct {
	r    io.Reader
	rc   *http.ResponseController
	read int
}

func (s *steadyReader) Read(p []byte) (int, error) {
	if s.read == 0 {
		s.rc.SetReadDeadline(time.Now().Add(uploadWindow))
	}
	n, err := s.r.Read(p)
	before := s.read
	s.read += n
	if s.read/uploadStep != before/uploadStep {
		s.rc.SetReadDeadline(time.Now().Add(uploadWindow))
	}
	return n, err
}

package plans

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// MaxDocumentBytes is the largest plan document accepted.
const MaxDocumentBytes = backstop.MaxPlanDocumentMiB << 20

// Document kinds, decided by content: the name's extension must agree.
const (
	KindPDF  = "pdf"
	KindDOCX = "docx"
	KindDOC  = "doc"
)

var (
	pdfMagic  = []byte("%PDF-")
	ole2Magic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	zipMagic  = []byte("PK\x03\x04")
	// wordStream is the name of a Word 97–2003 file's main stream in the
	// compound file's directory (UTF-16LE).
	wordStream = []byte("W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t\x00")
)

func docError(name, zh, en string) error {
	return &backstop.Error{Code: backstop.EUNSUPPORTED, Message: fmt.Sprintf("%s: %s", name, en), ZH: fmt.Sprintf("文件“%s”：%s", name, zh),
		Details: []backstop.Problem{{Path: "file", Reason: en, ReasonZH: zh}}}
}

// CheckDocument reads a plan document by its content: a PDF, a Word
// document (docx: a zip with word/document.xml) or a Word 97–2003 file
// (an OLE2 compound file with a WordDocument stream), within the size
// limit; anything else — an image, a spreadsheet, an executable renamed
// .pdf — is refused. It returns the kind, size and SHA-256.
func CheckDocument(path, name string) (kind string, size int64, sum string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", 0, "", err
	}
	size = st.Size()
	if size > MaxDocumentBytes {
		return "", 0, "", backstop.Localized(backstop.ETOOLARGE, "预案文件“%s”有 %.1f MiB，超过上限 %d MiB", "The plan document %q is %.1f MiB; the limit is %d MiB.",
			name, float64(size)/(1<<20), backstop.MaxPlanDocumentMiB)
	}
	if size == 0 {
		return "", 0, "", docError(name, "文件是空的", "the file is empty")
	}
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.HasPrefix(head, pdfMagic):
		kind = KindPDF
	case bytes.HasPrefix(head, zipMagic):
		if !isDOCX(f, size) {
			return "", 0, "", docError(name, "这是压缩包或其他 Office 文件，不是 Word 文档（.docx 须含 word/document.xml）", "a zip or another Office file, not a Word document (a .docx holds word/document.xml)")
		}
		kind = KindDOCX
	case bytes.HasPrefix(head, ole2Magic):
		if !hasWordStream(f) {
			return "", 0, "", docError(name, "这是旧版 Office 文件但不是 Word 文档（如 .xls）", "an old Office file that is not a Word document (an .xls?)")
		}
		kind = KindDOC
	default:
		return "", 0, "", docError(name, "只接受 PDF 或 Word 文档（.pdf、.docx、.doc），按文件内容判断", "only PDF or Word documents (.pdf, .docx, .doc) are accepted, judged by content")
	}
	if ext != "."+kind {
		return "", 0, "", docError(name, fmt.Sprintf("文件内容是 %s，扩展名却是“%s”，请改正后再上传", strings.ToUpper(kind), ext),
			fmt.Sprintf("the content is %s but the name ends %q", strings.ToUpper(kind), ext))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", 0, "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", 0, "", err
	}
	return kind, size, hex.EncodeToString(h.Sum(nil)), nil
}

// isDOCX tells a zip that is a Word document: it names [Content_Types].xml
// and word/document.xml. Only the central directory is read.
func isDOCX(f *os.File, size int64) bool {
	z, err := zip.NewReader(f, size)
	if err != nil || len(z.File) > 10000 {
		return false
	}
	var types, doc bool
	for _, e := range z.File {
		switch e.Name {
		case "[Content_Types].xml":
			types = true
		case "word/document.xml":
			doc = true
		}
	}
	return types && doc
}

// hasWordStream looks for the WordDocument stream's name in the compound
// file (its directory lies within the first megabytes of a plan).
func hasWordStream(f *os.File) bool {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return false
	}
	buf, err := io.ReadAll(io.LimitReader(f, MaxDocumentBytes))
	return err == nil && bytes.Contains(buf, wordStream)
}

// store moves a checked document into the documents directory under its
// digest, so that the same file twice is kept once; it returns the path
// relative to dir.
func store(dir, tmp, county string, year int, kind, sum string) (string, error) {
	rel := filepath.Join("plans", county, fmt.Sprint(year), sum+"."+kind)
	dst := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", err
	}
	if _, err := os.Stat(dst); err == nil {
		return rel, nil
	}
	if err := os.Rename(tmp, dst); err != nil {
		// Another file system: copy.
		in, err := os.Open(tmp)
		if err != nil {
			return "", err
		}
		defer in.Close()
		out, err := os.CreateTemp(filepath.Dir(dst), ".doc-*")
		if err != nil {
			return "", err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			os.Remove(out.Name())
			return "", err
		}
		if err := out.Close(); err != nil {
			return "", err
		}
		if err := os.Rename(out.Name(), dst); err != nil {
			return "", err
		}
	}
	return rel, nil
}

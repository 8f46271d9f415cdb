package sheet

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner reads the elements of a SpreadsheetML part (a sheet, the
// shared strings) from a stream, in bounded memory: one tag at a time
// (at most maxXMLTag) and the text the caller asks for (at most what it
// allows). Text the caller does not ask for is skipped without being
// held. Names lose their namespace prefix (x:row is row); entities,
// character references and CDATA sections are decoded; line ends become
// \n as XML prescribes. A DOCTYPE is refused: OOXML has none, and it is
// how entity-expansion attacks begin.
//
// encoding/xml is not used for sheets because it holds a whole text token
// in memory before a caller can look at its size, and because it is
// several times slower on the millions of small elements of a roster.
type xmlScanner struct {
	r   io.Reader
	buf []byte
	pos int
	end int
	err error // the reader's error, once it returned one

	// The current tag.
	kind        tokenKind
	name        []byte // local name
	selfClosing bool
	attrs       []xmlAttr
	tag         []byte // storage for names and attribute values
}

type tokenKind int

const (
	tokStart tokenKind = iota + 1
	tokEnd
)

type xmlAttr struct {
	name  []byte // local name
	value []byte
}

// errXML reports malformed XML; the reader names the part.
type errXML struct{ msg string }

func (e *errXML) Error() string { return e.msg }

var errTagTooLong = &errXML{"an XML tag is longer than 64 KiB"}

// errTextTooLong is returned by text when the text exceeds its limit.
var errTextTooLong = errors.New("text too long")

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, 64<<10)}
}

// fill reads more input after what is left unread, keeping the unread
// bytes; it returns false at the end of the input or on an error.
func (s *xmlScanner) fill() bool {
	if s.err != nil {
		return false
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.pos, s.end = 0, n
	}
	for s.end < len(s.buf) {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	return true
}

// ensure makes n bytes available at pos, unless the input ends first.
func (s *xmlScanner) ensure(n int) bool {
	return s.end-s.pos >= n || s.ensureMore(n)
}

func (s *xmlScanner) ensureMore(n int) bool {
	for s.end-s.pos < n {
		before := s.end - s.pos
		if !s.fill() || s.end-s.pos == before {
			return s.end-s.pos >= n
		}
	}
	return true
}

func (s *xmlScanner) readByte() (byte, bool) {
	if s.pos == s.end && !s.fill() {
		return 0, false
	}
	b := s.buf[s.pos]
	s.pos++
	return b, true
}

// failure is the error to return when the input ends or fails: the
// reader's error, or an unexpected end of the part.
func (s *xmlScanner) failure() error {
	if s.err != nil && s.err != io.EOF {
		return s.err
	}
	return io.ErrUnexpectedEOF
}

// next reads up to and including the next start or end tag, skipping
// text, comments and processing instructions. It returns io.EOF at the
// end of the input when no tag is left.
func (s *xmlScanner) next() error {
	for {
		// Skip to the next '<'.
		for {
			if s.pos == s.end && !s.fill() {
				if s.err != nil && s.err != io.EOF {
					return s.err
				}
				return io.EOF
			}
			if i := bytes.IndexByte(s.buf[s.pos:s.end], '<'); i >= 0 {
				s.pos += i
				break
			}
			s.pos = s.end
		}
		done, err := s.markup()
		if err != nil || done {
			return err
		}
	}
}

// markup reads the markup at pos (a '<'). It returns true when it read a
// start or end tag, false when it skipped a comment, a processing
// instruction or a CDATA section.
func (s *xmlScanner) markup() (bool, error) {
	if !s.ensure(2) {
		return false, s.failure()
	}
	switch s.buf[s.pos+1] {
	case '?':
		s.pos += 2
		return false, s.skipPast("?>")
	case '!':
		s.ensure(9)
		rest := s.buf[s.pos:s.end]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			s.pos += 4
			return false, s.skipPast("-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			s.pos += 9
			return false, s.skipPast("]]>")
		}
		return false, &errXML{"a DOCTYPE or other declaration is not allowed in a spreadsheet part"}
	case '/':
		s.pos += 2
		if s.endTagInBuffer() {
			return true, nil
		}
		return true, s.endTag()
	}
	s.pos++
	if s.startTagInBuffer() {
		return true, nil
	}
	return true, s.startTag()
}

// skipPast skips input up to and including the terminator.
func (s *xmlScanner) skipPast(term string) error {
	t := []byte(term)
	for {
		if !s.ensure(len(t)) {
			return s.failure()
		}
		if i := bytes.Index(s.buf[s.pos:s.end], t); i >= 0 {
			s.pos += i + len(t)
			return nil
		}
		// Keep the last bytes: the terminator may straddle the refill.
		s.pos = s.end - (len(t) - 1)
		if !s.fill() {
			return s.failure()
		}
	}
}

func isNameByte(b byte) bool {
	return b > ' ' && b != '>' && b != '/' && b != '=' && b != '"' && b != '\''
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// readName appends a name to s.tag and returns the offset of its local
// part (after any prefix) in s.tag.
func (s *xmlScanner) readName() (int, error) {
	start := len(s.tag)
	local := start
	for {
		if s.pos == s.end && !s.fill() {
			return 0, s.failure()
		}
		b := s.buf[s.pos]
		if !isNameByte(b) {
			break
		}
		s.tag = append(s.tag, b)
		s.pos++
		if b == ':' {
			local = len(s.tag)
		}
		if len(s.tag) > maxXMLTag {
			return 0, errTagTooLong
		}
	}
	if len(s.tag) == start {
		return 0, &errXML{"a tag or attribute without a name"}
	}
	return local, nil
}

func (s *xmlScanner) skipSpace() bool {
	for {
		if s.pos == s.end && !s.fill() {
			return false
		}
		if !isSpace(s.buf[s.pos]) {
			return true
		}
		s.pos++
	}
}

func (s *xmlScanner) endTag() error {
	s.kind, s.selfClosing, s.attrs, s.tag = tokEnd, false, s.attrs[:0], s.tag[:0]
	local, err := s.readName()
	if err != nil {
		return err
	}
	s.name = s.tag[local:]
	if !s.skipSpace() {
		return s.failure()
	}
	if s.buf[s.pos] != '>' {
		return &errXML{"a malformed end tag"}
	}
	s.pos++
	return nil
}

// endTagInBuffer reads the end tag at pos (after its "</") when it lies
// wholly in the buffer, as endTag does; it changes nothing and returns
// false otherwise.
func (s *xmlScanner) endTagInBuffer() bool {
	b := s.buf[s.pos:s.end]
	i, local := 0, 0
	for i < len(b) && isNameByte(b[i]) {
		if b[i] == ':' {
			local = i + 1
		}
		i++
	}
	nameEnd := i
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if nameEnd == 0 || i >= len(b) || b[i] != '>' {
		return false
	}
	s.kind, s.selfClosing, s.attrs, s.name = tokEnd, false, s.attrs[:0], b[local:nameEnd]
	s.pos += i + 1
	return true
}

// attrSpan locates an attribute's local name and value in s.tag: slices
// are taken only when the tag is complete, as s.tag may move while it
// grows.
type attrSpan struct{ n0, n1, v0, v1 int }

func (s *xmlScanner) startTag() error {
	s.kind, s.selfClosing, s.attrs, s.tag = tokStart, false, s.attrs[:0], s.tag[:0]
	local, err := s.readName()
	if err != nil {
		return err
	}
	nameEnd := len(s.tag)
	var store [8]attrSpan
	spans := store[:0]
	for {
		if !s.skipSpace() {
			return s.failure()
		}
		switch s.buf[s.pos] {
		case '>':
			s.pos++
			s.finishTag(local, nameEnd, spans)
			return nil
		case '/':
			s.pos++
			if b, ok := s.readByte(); !ok || b != '>' {
				return &errXML{"a malformed tag"}
			}
			s.selfClosing = true
			s.finishTag(local, nameEnd, spans)
			return nil
		}
		full := len(s.tag)
		n0, err := s.readName()
		if err != nil {
			return err
		}
		sp := attrSpan{n0: n0, n1: len(s.tag)}
		// Namespace declarations (xmlns, xmlns:r) are not attributes a
		// caller looks up: xmlns:r must not pass for r.
		fullName := s.tag[full:]
		declaration := string(fullName) == "xmlns" || bytes.HasPrefix(fullName, []byte("xmlns:"))
		if !s.skipSpace() {
			return s.failure()
		}
		if s.buf[s.pos] != '=' {
			return &errXML{"an attribute without a value"}
		}
		s.pos++
		if !s.skipSpace() {
			return s.failure()
		}
		quote := s.buf[s.pos]
		if quote != '"' && quote != '\'' {
			return &errXML{"an unquoted attribute value"}
		}
		s.pos++
		sp.v0 = len(s.tag)
	value:
		for {
			if s.pos == s.end && !s.fill() {
				return s.failure()
			}
			switch b := s.buf[s.pos]; {
			case b == quote:
				s.pos++
				break value
			case b == '&':
				if s.tag, err = s.entity(s.tag); err != nil {
					return err
				}
			case b == '<':
				return &errXML{"a '<' in an attribute value"}
			default:
				if isSpace(b) {
					b = ' ' // attribute-value normalisation
				}
				s.tag = append(s.tag, b)
				s.pos++
			}
			if len(s.tag) > maxXMLTag {
				return errTagTooLong
			}
		}
		sp.v1 = len(s.tag)
		if !declaration {
			spans = append(spans, sp)
		}
	}
}

// startTagInBuffer reads the start tag at pos (after its '<') when it
// lies wholly in the buffer and has no entity in its attribute values, as
// nearly every tag of a sheet does, without the refill checks of startTag.
// It changes nothing and returns false otherwise.
func (s *xmlScanner) startTagInBuffer() bool {
	b := s.buf[s.pos:s.end]
	i := 0
	name := func() (int, int, bool) { // start, local start, ok
		start, local := i, i
		for i < len(b) && isNameByte(b[i]) {
			if b[i] == ':' {
				local = i + 1
			}
			i++
		}
		return start, local, i > start && i < len(b)
	}
	_, local, ok := name()
	if !ok {
		return false
	}
	nameEnd := i
	s.attrs = s.attrs[:0]
	self := false
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			return false
		}
		if b[i] == '>' {
			i++
			break
		}
		if b[i] == '/' {
			if i+1 >= len(b) || b[i+1] != '>' {
				return false
			}
			self, i = true, i+2
			break
		}
		full, n0, ok := name()
		if !ok {
			return false
		}
		n1 := i
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) || b[i] != '=' {
			return false
		}
		i++
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) || (b[i] != '"' && b[i] != '\'') {
			return false
		}
		q := b[i]
		i++
		v0 := i
		for i < len(b) && b[i] != q {
			if c := b[i]; c == '&' || c == '<' || c == '\t' || c == '\n' || c == '\r' {
				return false // entities, normalisation and errors: startTag
			}
			i++
		}
		if i >= len(b) {
			return false
		}
		fullName := b[full:n1]
		if !(string(fullName) == "xmlns" || bytes.HasPrefix(fullName, []byte("xmlns:"))) {
			s.attrs = append(s.attrs, xmlAttr{name: b[n0:n1], value: b[v0:i]})
		}
		i++
	}
	if i > maxXMLTag {
		s.attrs = s.attrs[:0]
		return false
	}
	// The name and values point into the buffer, which stays as it is
	// until the next read: callers use them before reading on.
	s.kind, s.selfClosing, s.name = tokStart, self, b[local:nameEnd]
	s.pos += i
	return true
}

func (s *xmlScanner) finishTag(local, nameEnd int, spans []attrSpan) {
	s.name = s.tag[local:nameEnd]
	for _, sp := range spans {
		s.attrs = append(s.attrs, xmlAttr{name: s.tag[sp.n0:sp.n1], value: s.tag[sp.v0:sp.v1]})
	}
}

// attr returns the value of the attribute with this local name.
func (s *xmlScanner) attr(name string) ([]byte, bool) {
	for _, a := range s.attrs {
		if string(a.name) == name {
			return a.value, true
		}
	}
	return nil, false
}

// is tells whether the current tag is a start (or end) tag of name.
func (s *xmlScanner) isStart(name string) bool { return s.kind == tokStart && string(s.name) == name }
func (s *xmlScanner) isEnd(name string) bool   { return s.kind == tokEnd && string(s.name) == name }

// entity decodes the entity or character reference at pos (a '&') and
// appends it to dst.
func (s *xmlScanner) entity(dst []byte) ([]byte, error) {
	s.ensure(12)
	rest := s.buf[s.pos:s.end]
	semi := bytes.IndexByte(rest[:min(len(rest), 12)], ';')
	if semi < 0 {
		return dst, &errXML{"a '&' that starts no entity"}
	}
	ref := rest[1:semi]
	s.pos += semi + 1
	switch string(ref) {
	case "amp":
		return append(dst, '&'), nil
	case "lt":
		return append(dst, '<'), nil
	case "gt":
		return append(dst, '>'), nil
	case "quot":
		return append(dst, '"'), nil
	case "apos":
		return append(dst, '\''), nil
	}
	if len(ref) > 1 && ref[0] == '#' {
		var n uint64
		var err error
		if ref[1] == 'x' || ref[1] == 'X' {
			n, err = strconv.ParseUint(string(ref[2:]), 16, 32)
		} else {
			n, err = strconv.ParseUint(string(ref[1:]), 10, 32)
		}
		if err == nil && n > 0 && utf8.ValidRune(rune(n)) {
			return utf8.AppendRune(dst, rune(n)), nil
		}
	}
	return dst, &errXML{"an unknown entity &" + string(ref) + ";"}
}

// text appends the character data from pos up to the next tag to dst,
// decoding entities and CDATA and skipping comments, and stops before the
// tag. It returns errTextTooLong as soon as dst would pass max bytes.
func (s *xmlScanner) text(dst []byte, max int) ([]byte, error) {
	for {
		if s.pos == s.end && !s.fill() {
			return dst, s.failure()
		}
		chunk := s.buf[s.pos:s.end]
		i := 0
		for i < len(chunk) && chunk[i] != '<' && chunk[i] != '&' && chunk[i] != '\r' {
			i++
		}
		if len(dst)+i > max {
			return dst, errTextTooLong
		}
		dst = append(dst, chunk[:i]...)
		s.pos += i
		if i == len(chunk) {
			continue
		}
		var err error
		switch chunk[i] {
		case '&':
			if dst, err = s.entity(dst); err != nil {
				return dst, err
			}
		case '\r':
			s.pos++
			if s.ensure(1) && s.buf[s.pos] == '\n' {
				s.pos++
			}
			dst = append(dst, '\n')
		case '<':
			if !s.ensure(9) && !s.ensure(2) {
				return dst, s.failure()
			}
			rest := s.buf[s.pos:s.end]
			switch {
			case bytes.HasPrefix(rest, []byte("<![CDATA[")):
				s.pos += 9
				if dst, err = s.cdata(dst, max); err != nil {
					return dst, err
				}
			case bytes.HasPrefix(rest, []byte("<!--")):
				s.pos += 4
				if err := s.skipPast("-->"); err != nil {
					return dst, err
				}
			case bytes.HasPrefix(rest, []byte("<?")):
				s.pos += 2
				if err := s.skipPast("?>"); err != nil {
					return dst, err
				}
			default:
				return dst, nil
			}
		}
		if len(dst) > max {
			return dst, errTextTooLong
		}
	}
}

// cdata appends a CDATA section's content up to "]]>".
func (s *xmlScanner) cdata(dst []byte, max int) ([]byte, error) {
	for {
		if !s.ensure(3) {
			return dst, s.failure()
		}
		rest := s.buf[s.pos:s.end]
		if i := bytes.Index(rest, []byte("]]>")); i >= 0 {
			if len(dst)+i > max {
				return dst, errTextTooLong
			}
			dst = append(dst, rest[:i]...)
			s.pos += i + 3
			return dst, nil
		}
		keep := len(rest) - 2
		if len(dst)+keep > max {
			return dst, errTextTooLong
		}
		dst = append(dst, rest[:keep]...)
		s.pos += keep
		if !s.fill() {
			return dst, s.failure()
		}
	}
}

package capalert

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zhangye-backstop/backstop"
)

// FeedEntry is one entry of a CAP index feed: either a link to the alert
// or the alert itself embedded in the entry's content.
type FeedEntry struct {
	ID       string
	Title    string
	Updated  string
	Link     string // where the CAP alert is, when it is linked
	Embedded []byte // the CAP alert, when it is inside the entry
}

// MaxFeedBytes limits a feed document.
const MaxFeedBytes = 8 << 20

// ReadFeed reads an Atom (or RSS 2.0) index feed of CAP alerts. Entries
// link to their alert (a link with type application/cap+xml is preferred,
// else the first link) or embed it in <content>.
func ReadFeed(r io.Reader) ([]FeedEntry, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFeedBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFeedBytes {
		return nil, backstop.Localized(backstop.ETOOLARGE, "订阅源超过%d MiB的上限", "The feed is larger than %d MiB.", MaxFeedBytes>>20)
	}
	root, err := readTree(data, feedXML)
	if err != nil {
		return nil, err
	}
	var out []FeedEntry
	switch root.name.Local {
	case "feed":
		for _, e := range root.kids {
			if e.name.Local != "entry" {
				continue
			}
			var fe FeedEntry
			var links []string
			for _, k := range e.kids {
				switch k.name.Local {
				case "id":
					fe.ID = strings.TrimSpace(k.text.String())
				case "title":
					fe.Title = strings.TrimSpace(k.text.String())
				case "updated":
					fe.Updated = strings.TrimSpace(k.text.String())
				case "link":
					// readTree keeps no attributes; links are read again below.
				case "content":
					for _, c := range k.kids {
						if c.name.Local == "alert" {
							fe.Embedded = reencode(data, c)
						}
					}
				}
			}
			_ = links
			out = append(out, fe)
		}
		// Attributes (link href and type) are read with a second, light pass.
		links, err := feedLinks(data)
		if err != nil {
			return nil, err
		}
		for i := range out {
			if i < len(links) {
				out[i].Link = links[i]
			}
		}
	case "rss":
		for _, ch := range root.kids {
			for _, it := range ch.kids {
				if it.name.Local != "item" {
					continue
				}
				var fe FeedEntry
				for _, k := range it.kids {
					switch k.name.Local {
					case "guid":
						fe.ID = strings.TrimSpace(k.text.String())
					case "title":
						fe.Title = strings.TrimSpace(k.text.String())
					case "link":
						fe.Link = strings.TrimSpace(k.text.String())
					case "pubDate":
						fe.Updated = strings.TrimSpace(k.text.String())
					}
				}
				out = append(out, fe)
			}
		}
	default:
		return nil, backstop.Localized(backstop.EINVALID, "不是Atom或RSS订阅源：根元素是<%s>", "Not an Atom or RSS feed: the root element is <%s>.", root.name.Local)
	}
	return out, nil
}

// feedLinks returns, per entry in order, the href of its CAP link: the
// link typed application/cap+xml, else the alternate or first one.
func feedLinks(data []byte) ([]string, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charsetReader
	var out []string
	inEntry := false
	var best string
	var bestIsCAP bool
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Local == "entry":
				inEntry, best, bestIsCAP = true, "", false
			case inEntry && t.Name.Local == "link":
				var href, typ, rel string
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "href":
						href = a.Value
					case "type":
						typ = a.Value
					case "rel":
						rel = a.Value
					}
				}
				isCAP := strings.Contains(typ, "cap")
				if href != "" && (best == "" || (isCAP && !bestIsCAP) || (!bestIsCAP && rel == "alternate")) {
					best, bestIsCAP = href, isCAP
				}
			}
		case xml.EndElement:
			if t.Name.Local == "entry" && inEntry {
				out = append(out, best)
				inEntry = false
			}
		}
	}
}

// reencode writes an embedded element back out as a document of its own,
// with the CAP namespace declared.
func reencode(data []byte, n *node) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	writeNode(&b, n, true)
	return b.Bytes()
}

func writeNode(b *bytes.Buffer, n *node, root bool) {
	b.WriteString("<" + n.name.Local)
	if root && n.name.Space != "" {
		b.WriteString(` xmlns="` + n.name.Space + `"`)
	}
	b.WriteString(">")
	if len(n.kids) == 0 {
		xml.EscapeText(b, []byte(n.text.String()))
	}
	for _, k := range n.kids {
		if k.name.Space == n.name.Space || k.name.Space == "" {
			writeNode(b, k, false)
		}
	}
	b.WriteString("</" + n.name.Local + ">")
}

// FeedItem is one alert in a feed backstop publishes.
type FeedItem struct {
	ID      string // a stable URI for the alert
	Title   string
	Updated time.Time
	Link    string // where the CAP document is served
	Summary string
	Alert   []byte // the CAP document, embedded as content
}

// WriteFeed writes an Atom feed of CAP alerts for TV, radio and new-media
// systems: each entry links to its alert (type application/cap+xml) and
// embeds it.
func WriteFeed(w io.Writer, id, title, self string, updated time.Time, items []FeedItem) error {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<feed xmlns="http://www.w3.org/2005/Atom">` + "\n")
	el := func(name, text string) {
		b.WriteString("<" + name + ">")
		xml.EscapeText(&b, []byte(text))
		b.WriteString("</" + name + ">\n")
	}
	el("id", id)
	el("title", title)
	el("updated", updated.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "<link rel=\"self\" href=\"%s\"/>\n", xmlAttr(self))
	b.WriteString("<author><name>backstop</name></author>\n")
	for _, it := range items {
		b.WriteString("<entry>\n")
		el("id", it.ID)
		el("title", it.Title)
		el("updated", it.Updated.UTC().Format(time.RFC3339))
		fmt.Fprintf(&b, "<link rel=\"alternate\" type=\"application/cap+xml\" href=\"%s\"/>\n", xmlAttr(it.Link))
		if it.Summary != "" {
			el("summary", it.Summary)
		}
		if len(it.Alert) > 0 {
			b.WriteString(`<content type="application/cap+xml">`)
			body := it.Alert
			if i := bytes.Index(body, []byte("?>")); bytes.HasPrefix(body, []byte("<?xml")) && i > 0 {
				body = body[i+2:]
			}
			b.Write(bytes.TrimSpace(body))
			b.WriteString("</content>\n")
		}
		b.WriteString("</entry>\n")
	}
	b.WriteString("</feed>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func xmlAttr(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&#34;")
}

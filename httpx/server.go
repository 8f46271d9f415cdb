package httpx

import (
	"net/http"
	"time"
)

// Timeouts bound how long a client may hold a connection: sending its
// headers, its body, reading the answer, idling between requests.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// DefaultTimeouts suit the UI and the API. Uploads (rosters) take longer
// than Read: SaveUpload extends its deadline as long as data keeps coming
// at a minimum rate; downloads (exports) likewise extend Write.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 2 * time.Minute, Idle: 2 * time.Minute}

// NewServer is the HTTP server of a handler with the timeouts set: a
// trickled request cannot hold a connection.
func NewServer(h http.Handler, t Timeouts) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle, MaxHeaderBytes: 1 << 20}
}

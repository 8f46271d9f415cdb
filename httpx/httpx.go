// Package httpx holds what backstop's two HTTP edges, the JSON API
// (httpapi) and the web UI (web), share: authentication and sessions,
// limits, the one mapping of error codes to HTTP status, JSON and upload
// handling, path parameters, the status-recording writer, request metrics
// and the root handler that puts both edges behind one listener.
package httpx

package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"

	"github.com/zhangye-backstop/backstop"
)

// statusOf maps error codes to HTTP status, in this one place.
var statusOf = map[string]int{
	backstop.ECONFLICT:     http.StatusConflict,
	backstop.EINTERNAL:     http.StatusInternalServerError,
	backstop.EINVALID:      http.StatusBadRequest,
	backstop.ENOTFOUND:     http.StatusNotFound,
	backstop.EUNAUTHORIZED: http.StatusUnauthorized,
	backstop.EFORBIDDEN:    http.StatusForbidden,
	backstop.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	backstop.ERATELIMIT:    http.StatusTooManyRequests,
	backstop.EUNAVAILABLE:  http.StatusServiceUnavailable,
	backstop.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
}

// ErrorStatus returns the HTTP status for an error.
func ErrorStatus(err error) int {
	if s, ok := statusOf[backstop.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error struct {
		Code      string             `json:"code"`
		Key       string             `json:"key,omitempty"`
		Message   string             `json:"message"`
		MessageZH string             `json:"message_zh"`
		Details   []backstop.Problem `json:"details,omitempty"`
	} `json:"error"`
}

// WriteError answers with the error's status and JSON body. Internal errors
// are logged with their detail and shown to the client as a generic
// message only.
func WriteError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	code := backstop.ErrorCode(err)
	if code == backstop.EINTERNAL {
		logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var body ErrorBody
	body.Error.Code = code
	body.Error.Key = backstop.ErrorKey(err)
	body.Error.Message = backstop.ErrorMessage(err)
	body.Error.MessageZH = backstop.ErrorMessageZH(err)
	body.Error.Details = backstop.ErrorDetails(err)
	if len(body.Error.Details) > 200 {
		body.Error.Details = body.Error.Details[:200]
	}
	WriteJSON(w, ErrorStatus(err), body)
}

// WriteJSON answers with v as JSON and the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// MaxJSONBody limits JSON request bodies.
const MaxJSONBody = 1 << 20

// DecodeJSON reads a JSON body into v, refusing other media types, unknown
// fields and bodies over MaxJSONBody.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/json" {
			return backstop.Localized(backstop.EUNSUPPORTED, "请发送JSON（Content-Type: application/json），不是%s", "Send JSON (Content-Type: application/json), not %s.", mt)
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var maxErr *http.MaxBytesError
		switch {
		case errors.As(err, &maxErr):
			return backstop.Localized(backstop.ETOOLARGE, "JSON内容超过%d KiB的上限", "The JSON body is larger than the limit of %d KiB.", MaxJSONBody>>10)
		case errors.Is(err, io.EOF):
			return backstop.Localized(backstop.EINVALID, "请求内容为空，请发送一个JSON对象", "The request body is empty; send a JSON object.")
		}
		return backstop.Localized(backstop.EINVALID, "JSON内容无法读取：%v", "The JSON body cannot be read: %v.", err)
	}
	if dec.More() {
		return backstop.Localized(backstop.EINVALID, "JSON内容包含多个值", "The JSON body has more than one value.")
	}
	return nil
}

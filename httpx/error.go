package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

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
		return jsonError(err)
	}
	if dec.More() {
		return backstop.Localized(backstop.EINVALID, "JSON内容包含多个值", "The JSON body has more than one value.")
	}
	return nil
}

// jsonError says in Chinese what encoding/json found wrong with a body:
// its own text is English and names Go types ("cannot unmarshal number
// into Go struct field Input.hazard of type string"), which the API's
// message_zh must not show. The English message keeps it.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return backstop.Localized(backstop.EINVALID, "JSON格式错误（第%[1]d个字节附近）：请检查括号、引号和逗号", "The JSON body is malformed at byte %d: %v.", syntax.Offset, err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "（整个请求）"
		}
		return backstop.Localized(backstop.EINVALID, "字段“%[1]s”应为%[2]s，不能是%[3]s", "Field %[1]q must be %[4]v, not a JSON %[5]s.", field, jsonKindZH(typ.Type), jsonValueZH(typ.Value), typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return backstop.Localized(backstop.EINVALID, "JSON内容不完整：在结束前中断了", "The JSON body ends before it is complete.")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if n, uerr := strconv.Unquote(name); uerr == nil {
			name = n
		}
		return backstop.Localized(backstop.EINVALID, "不认识的字段“%s”：请检查字段名的拼写", "Unknown field %q.", name)
	}
	return &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("The JSON body cannot be read: %v.", err), ZH: "JSON内容无法读取，请检查格式"}
}

// jsonKindZH names what a Go type accepts, as a JSON value in words.
func jsonKindZH(t reflect.Type) string {
	if t == nil {
		return "其他类型"
	}
	switch t.Kind() {
	case reflect.String:
		return "文字"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "整数"
	case reflect.Float32, reflect.Float64:
		return "数字"
	case reflect.Bool:
		return "true 或 false"
	case reflect.Slice, reflect.Array:
		return "列表"
	case reflect.Map, reflect.Struct:
		return "对象"
	case reflect.Pointer:
		return jsonKindZH(t.Elem())
	}
	return "其他类型"
}

// jsonValueZH names the kind of JSON value encoding/json met ("number",
// "string", "array", "object", "bool", "number 1.5").
func jsonValueZH(v string) string {
	kind, _, _ := strings.Cut(v, " ")
	switch kind {
	case "number":
		return "数字"
	case "string":
		return "文字"
	case "array":
		return "列表"
	case "object":
		return "对象"
	case "bool":
		return "true 或 false"
	}
	return "这种值"
}

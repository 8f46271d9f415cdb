package httpx

import (
	"net/http"
	"strconv"

	"github.com/zhangye-backstop/backstop"
)

// PathID reads the numeric {id} of a path; what names the record in the
// error (a malformed id is a record that does not exist).
func PathID(r *http.Request, what string) (int64, error) {
	return PathInt(r, "id", what)
}

// PathInt reads a numeric path parameter.
func PathInt(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, &backstop.Error{Code: backstop.ENOTFOUND, Message: what + " " + strconv.Quote(r.PathValue(name)) + " not found.",
			ZH: "找不到编号为“" + r.PathValue(name) + "”的记录"}
	}
	return id, nil
}

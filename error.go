// Package backstop holds the domain vocabulary of the system that keeps
// disasters from pushing rural households back into poverty: regions,
// households and their members, users and their scopes, audit, policy.
// It imports no infrastructure; the subpackages implement or use it.
package backstop

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in httpapi, and nowhere else.
const (
	ECONFLICT     = "conflict"     // the action conflicts with the current state
	EINTERNAL     = "internal"     // a bug or an outage; details are logged, never shown
	EINVALID      = "invalid"      // the input is wrong; the message says where and why
	ENOTFOUND     = "not_found"    // the thing does not exist, or is outside the user's scope
	EUNAUTHORIZED = "unauthorized" // no valid session or token
	EFORBIDDEN    = "forbidden"    // authenticated, but not allowed to do this
	ETOOLARGE     = "too_large"    // the input exceeds an explicit limit
	ERATELIMIT    = "rate_limited" // too many attempts; try later
	EUNAVAILABLE  = "unavailable"  // a dependency is not configured or reachable
	EUNSUPPORTED  = "unsupported"  // a format or media type backstop does not read
)

// Error is the one error type that crosses package boundaries. Message is
// safe to show a user; anything else stays in logs.
type Error struct {
	Code string
	// Key names the catalog entry the messages came from (messages.go),
	// with its arguments; empty for errors written in place.
	Key     string
	Args    []any
	Message string
	// ZH is the message in Chinese, for the users who read it; empty when
	// only the English message exists.
	ZH string
	// Details lists individual problems (rows of a roster, elements of an
	// alert) when there are several.
	Details []Problem
}

// Problem is one located problem in an input: a row and column of a sheet,
// or an element path of an XML document.
type Problem struct {
	Row    int    `json:"row,omitempty"`
	Column string `json:"column,omitempty"`
	Path   string `json:"path,omitempty"`
	Reason string `json:"reason"`
	// ReasonZH is the reason in Chinese when one is written.
	ReasonZH string `json:"reason_zh,omitempty"`
}

func (p Problem) String() string {
	switch {
	case p.Row > 0 && p.Column != "":
		return fmt.Sprintf("row %d, column %s: %s", p.Row, p.Column, p.Reason)
	case p.Row > 0:
		return fmt.Sprintf("row %d: %s", p.Row, p.Reason)
	case p.Path != "":
		return p.Path + ": " + p.Reason
	case p.Column != "":
		return "column " + p.Column + ": " + p.Reason
	}
	return p.Reason
}

func (e *Error) Error() string {
	return fmt.Sprintf("backstop error: code=%s message=%s", e.Code, e.Message)
}

// Errorf builds an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Localized builds an *Error with a Chinese and an English message from the
// same arguments; a Named argument (a Term) reads in each message's language.
func Localized(code, zh, en string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(en, args...), ZH: fmt.Sprintf(zh, localArgs(args)...)}
}

// ErrorMessageZH returns the Chinese message of err: its own, else its
// catalog entry's, else its code's sentence — never English, so that a
// page in Chinese shows none.
func ErrorMessageZH(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if !errors.As(err, &e) {
		return codeMessages[EINTERNAL].ZH
	}
	if e.ZH != "" {
		return e.ZH
	}
	if m, ok := errorCatalog[e.Key]; ok {
		return fmt.Sprintf(m.ZH, localArgs(e.Args)...)
	}
	if m, ok := codeMessages[e.Code]; ok {
		return m.ZH
	}
	return codeMessages[EINTERNAL].ZH
}

// ErrorKey returns the catalog key of err, or "" when it has none.
func ErrorKey(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Key
	}
	return ""
}

// ProblemFrom turns an error into a located problem, keeping both languages.
func ProblemFrom(row int, column string, err error) Problem {
	return Problem{Row: row, Column: column, Reason: ErrorMessage(err), ReasonZH: ErrorMessageZH(err)}
}

// ErrorCode returns the code of err when it is (or wraps) an *Error,
// EINTERNAL for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err. Errors that are not
// *Error never leak their text: a user sees a generic message.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorDetails returns the located problems carried by err, if any.
func ErrorDetails(err error) []Problem {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

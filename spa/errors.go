package spa

import (
	"errors"
	"fmt"
)

// Stable error codes. They are API: the JS bridge exposes them as OidcError.code
// and callers branch on them. Messages are for people and may change.
const (
	CodeInvalidConfig   = "invalid_config"          // a config field is missing or malformed
	CodeLoginRequired   = "login_required"          // no session, or the provider needs the user
	CodeStateMismatch   = "state_mismatch"          // callback matches no pending, unexpired, unused transaction
	CodeNonceMismatch   = "nonce_mismatch"          // ID token nonce differs from the transaction's
	CodeIssMismatch     = "iss_mismatch"            // RFC 9207 iss or discovery issuer differs from the authority
	CodeInvalidIDToken  = "invalid_id_token"        // signature, alg, aud, azp, exp, iat, at_hash, sub checks
	CodeInvalidResponse = "invalid_response"        // an endpoint answered with something that is not a valid response
	CodeTimeout         = "timeout"                 // silent renewal or a request ran out of time
	CodeNetwork         = "network"                 // the request never got an HTTP answer
	CodeRedirectBlocked = "redirect_blocked"        // a token-bearing request was answered with a redirect, not followed
	CodeStorage         = "storage_error"           // the store refused a write (full, disabled, private mode)
	CodeUnsupported     = "unsupported_by_provider" // the provider's discovery lacks the endpoint the call needs
	CodePopupBlocked    = "popup_blocked"           // the browser gave no window for the sign-in popup
	CodePopupClosed     = "popup_closed"            // the user closed the sign-in popup before it answered
	CodeInvalidRequest  = "invalid_request"         // a call the library cannot make as asked (fetch no-cors, a method worker custody lacks)
)

// Error is the one error type of oidcwasm. Code is stable (the Code* constants, or an OAuth 2.0
// error code from the provider such as "invalid_grant", RFC 6749 §5.2); ConfigID names the
// provider configuration; Field, for CodeInvalidConfig, the config field as the JS contract spells
// it ("clientId" for Config.ClientID: one name in both APIs). An Error never contains a token.
type Error struct {
	_           noCompare // compare Codes (ErrorCode, errors.As), not Errors
	Code        string
	ConfigID    string
	Field       string
	Message     string // what went wrong, for a person
	Description string // error_description from the provider, if any
	URI         string // error_uri from the provider, if any
	Err         error  // underlying cause, if any

	spent bool // see spentGrant
}

func (e *Error) Error() string {
	s := "oidcwasm: "
	if e.ConfigID != "" {
		s += fmt.Sprintf("config %q: ", e.ConfigID)
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	if e.Message != "" {
		s += e.Message
	} else {
		s += e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, &spa.Error{Code: spa.CodeLoginRequired}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.ConfigID == "" || t.ConfigID == e.ConfigID)
}

// ErrorCode returns the Code of the first *Error in err's chain, or "" when there is none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// newError builds an *Error; format arguments follow fmt.Sprintf.
func newError(code, configID, format string, args ...any) *Error {
	return &Error{Code: code, ConfigID: configID, Message: fmt.Sprintf(format, args...)}
}

// wrapError builds an *Error that wraps cause.
func wrapError(code, configID string, cause error, format string, args ...any) *Error {
	return &Error{Code: code, ConfigID: configID, Message: fmt.Sprintf(format, args...), Err: cause}
}

// configError reports a bad config field.
func configError(configID, field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidConfig, ConfigID: configID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// EndsSession reports whether a renewal failure with this code means the user's
// session at the provider is gone, so the local session must end too
// (OpenID Connect Core §3.1.2.6 for prompt=none; RFC 6749 §5.2 invalid_grant).
// spentGrant marks a renewal error after which the session cannot go on: the
// provider answered the grant (and used up the refresh token), but the answer
// failed a check. Renewal ends the session on it, whatever its code.
func spentGrant(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return &Error{Code: CodeInvalidResponse, Message: "the renewal's answer failed a check", Err: err, spent: true}
	}
	c := *e
	c.spent = true
	return &c
}

// endsSessionErr reports whether err must end the local session: a code that
// says the provider's session is gone, or a spent grant.
func endsSessionErr(err error) bool {
	var e *Error
	return EndsSession(ErrorCode(err)) || errors.As(err, &e) && e.spent
}

func EndsSession(code string) bool {
	switch code {
	case CodeLoginRequired, "consent_required", "interaction_required", "invalid_grant":
		return true
	}
	return false
}

// withConfig returns err as an *Error that names the config: err itself when
// it (or the *Error it wraps) names one, a copy of the *Error it wraps with
// configID set when it names none, or a CodeNetwork wrapper for an error that
// is no *Error (a request or a window that failed without an answer).
func withConfig(err error, configID string) error {
	var e *Error
	if !errors.As(err, &e) {
		return wrapError(CodeNetwork, configID, err, "request failed")
	}
	if e.ConfigID != "" {
		return err
	}
	c := *e
	c.ConfigID = configID
	return &c
}

package spa

import (
	"context"
	"errors"
	"net/url"
)

// RedactURL is the scheme, host and path of raw, without userinfo, query or
// fragment (which may hold a code, a state or credentials), fit for an error
// message. A relative URL gives its path.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(malformed URL)"
	}
	if u.Host == "" {
		return u.EscapedPath()
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// ContextError reports a done context as an *Error: CodeTimeout when its
// deadline passed, CodeNetwork when it was cancelled. It wraps ctx.Err(), so
// errors.Is(err, context.DeadlineExceeded) holds. Fetcher implementations use
// it so that every one of them answers a done context alike.
func ContextError(ctx context.Context, doing string) *Error {
	code := CodeNetwork
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		code = CodeTimeout
	}
	return wrapError(code, "", ctx.Err(), "%s", doing)
}

package silentrefresh

import (
	"context"
	"net/url"
	"strings"

	"github.com/oidcwasm/oidcwasm/spa"
)

// Frame visits an authorization request in a hidden iframe: the navigator of
// an iframe renewal (oidc-client-ts calls these navigators; web's sign-in
// popup is another one).
//
// Navigate loads req.URL in a hidden iframe and returns the URL that
// silent-refresh.html posted back to the page: the authorization response
// (code and state, or error and state) that the provider redirected the iframe
// to. It removes the iframe when it returns, and returns ctx's error when ctx
// ends first. The browser implementation (package web) accepts a message event
// only when AcceptMessage says so, with the pending state req.State (with
// pushed authorization requests the URL itself carries none, RFC 9126 §4).
type Frame interface {
	Navigate(ctx context.Context, req spa.AuthRequest) (responseURL string, err error)
}

// FrameFunc adapts a function to Frame.
type FrameFunc func(ctx context.Context, req spa.AuthRequest) (string, error)

// Navigate calls f.
func (f FrameFunc) Navigate(ctx context.Context, req spa.AuthRequest) (string, error) {
	return f(ctx, req)
}

// AcceptMessage decides whether a message event received by the page answers
// the pending iframe renewal, and returns the response URL it carries. It is
// the whole acceptance rule, kept here as a pure function so that it is tested
// natively; the browser side passes the event's facts:
//
//   - pageOrigin is location.origin of the page, msgOrigin is event.origin:
//     they must be equal, since silent-refresh.html is served on the page's
//     origin and posts with targetOrigin location.origin. An opaque origin
//     ("null") is never accepted.
//   - fromOurFrame is event.source === iframe.contentWindow: another window of
//     the same origin (another iframe, a popup) cannot answer for ours.
//   - data must be a string: an absolute URL on pageOrigin, without userinfo.
//   - the URL's authorization response (its query, or its fragment when the
//     query has none, as spa.ValidateCallback reads it) must carry exactly one
//     state, equal to pendingState (the AuthRequest's State). A stale
//     answer of an earlier, timed-out renewal is ignored this way.
//
// A rejected message is ignored, not an error: the renewal keeps waiting until
// its timeout. Accepting is not validating: spa.Manager.ValidateCallback still
// checks the response against the stored transaction.
func AcceptMessage(pageOrigin, msgOrigin string, fromOurFrame bool, data any, pendingState string) (responseURL string, ok bool) {
	if pendingState == "" || pageOrigin == "" || pageOrigin == "null" || msgOrigin != pageOrigin || !fromOurFrame {
		return "", false
	}
	raw, isString := data.(string)
	if !isString {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" || u.Host == "" ||
		!strings.EqualFold(u.Scheme+"://"+u.Host, pageOrigin) {
		return "", false
	}
	if st, found := spa.CallbackState(raw); !found || st != pendingState {
		return "", false
	}
	return raw, true
}

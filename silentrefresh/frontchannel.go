package silentrefresh

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
	"strings"
)

// fcPage is frontchannel-logout.html, the app's front-channel logout page
// (OpenID Connect Front-Channel Logout 1.0 §2): the provider loads it in an
// iframe with iss and sid when the user's session there ends. A few lines
// of plain JavaScript, no wasm, no token: it hands the facts of its load
// (its query, whether it is framed, location.ancestorOrigins[0],
// document.referrer, the time) to the tabs of its origin, over the
// BroadcastChannel FrontchannelLogoutChannel to the open ones and, the newest
// 20, in localStorage under FrontchannelLogoutStorageKey for the ones that
// load later. The tabs decide (spa.Manager.FrontchannelLogout); the page
// reads no session and sends nothing.
//
// Nothing in a wasm build refers to it, so the linker leaves it out there.
//
//go:embed frontchannel-logout.html
var fcPage []byte

// Where the front-channel logout page leaves its requests; package web
// reads them (web.StorePrefix + spa.FrontchannelLogoutStoreKey is the key).
const (
	FrontchannelLogoutChannel    = "oidcwasm.frontchannel-logout"
	FrontchannelLogoutStorageKey = "oidcwasm:frontchannel-logout"
)

// FrontchannelLogoutHTML returns frontchannel-logout.html, for static
// hosting (make build copies the same file to static/). Serve it at the
// config's frontchannelLogoutUrl and register that URL at the provider as
// the client's frontchannel_logout_uri, with frontchannel_logout_session_required.
func FrontchannelLogoutHTML() []byte { return bytes.Clone(fcPage) }

// FrontchannelLogoutScriptHash returns the CSP hash source of the page's
// inline script ("sha256-…"), for a site that serves the page itself under
// a Content-Security-Policy.
func FrontchannelLogoutScriptHash() string { return inlineScriptHash(fcPage) }

// inlineScriptHash is the CSP hash source of a page's one inline script.
func inlineScriptHash(page []byte) string {
	start := bytes.Index(page, []byte("<script>"))
	end := bytes.Index(page, []byte("</script>"))
	if start < 0 || end < start {
		panic("silentrefresh: the page has no inline script")
	}
	sum := sha256.Sum256(page[start+len("<script>") : end])
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// FrontchannelLogoutHandler serves frontchannel-logout.html on GET and HEAD,
// wherever it is mounted (at the path of frontchannelLogoutUrl). The URL
// carries the provider's sid, so the page is never cached (Cache-Control:
// no-store) nor its URL sent on (Referrer-Policy: no-referrer); its
// Content-Security-Policy allows its own script only and, when
// frameAncestors are given (the providers' origins, as CSP sources), framing
// by those alone (CSP frame-ancestors): every browser then refuses to run
// the page in a frame of anyone else, whatever the tabs can tell of who
// framed it.
func FrontchannelLogoutHandler(frameAncestors ...string) http.Handler {
	csp := "default-src 'none'; script-src '" + FrontchannelLogoutScriptHash() + "'; base-uri 'none'; form-action 'none'"
	if len(frameAncestors) > 0 {
		csp += "; frame-ancestors " + strings.Join(frameAncestors, " ")
	}
	return servePage(fcPage, csp)
}

package spa

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Front-channel logout (OpenID Connect Front-Channel Logout 1.0): when the
// user's session at the provider ends, the provider loads each client's
// frontchannel_logout_uri in an iframe with iss and sid (§2). The app's page
// there (silentrefresh.FrontchannelLogoutHTML: plain JS, no token, no session
// read) hands what it was loaded with to the tabs of the origin, on a
// BroadcastChannel for the open ones and in localStorage for the ones that
// load later; the tabs decide, here, with one rule.

// FrontchannelLogoutStoreKey is the key of the StorageLocal store under which
// the front-channel logout page keeps the requests it was loaded with, newest
// last, for the tabs that load later (web's prefix makes it
// "oidcwasm:frontchannel-logout", the page's key).
const FrontchannelLogoutStoreKey = "frontchannel-logout"

// codeInvalidRequest is the code of a refused front-channel logout request.
const codeInvalidRequest = CodeInvalidRequest

// frontchannelRequest is one load of the front-channel logout page, as the
// page wrote it down: the facts, not a verdict.
type frontchannelRequest struct {
	_        noCompare
	V        int     `json:"v"`
	Query    string  `json:"query"`    // location.search
	Framed   bool    `json:"framed"`   // window.parent !== window
	Ancestor *string `json:"ancestor"` // location.ancestorOrigins[0]; null where the browser has none
	Referrer string  `json:"referrer"` // document.referrer
	At       float64 `json:"at"`       // Date.now() when it loaded
}

// parseFrontchannel reads one request as the page wrote it, with the iss
// and sid it carries (Front-Channel Logout 1.0 §2: both, or neither).
func parseFrontchannel(raw []byte) (r *frontchannelRequest, iss, sid string, err error) {
	if err := json.Unmarshal(raw, &r); err != nil || r == nil || r.V != 1 {
		return nil, "", "", newError(codeInvalidRequest, "", "not a front-channel logout request of oidcwasm's frontchannel-logout.html")
	}
	q, err := url.ParseQuery(strings.TrimPrefix(r.Query, "?"))
	if err != nil || len(q["iss"]) != 1 || len(q["sid"]) != 1 || q.Get("iss") == "" || q.Get("sid") == "" {
		return r, "", "", newError(codeInvalidRequest, "", "the request carries no iss and sid, or repeats one (OpenID Connect Front-Channel Logout 1.0 §2): "+
			"without both no session can be told apart, so none ends; register the client with frontchannel_logout_session_required")
	}
	return r, q.Get("iss"), q.Get("sid"), nil
}

// framer is the origin of the page that framed the logout page, "" when the
// browser does not say (no ancestorOrigins, as in Firefox, and no referrer).
func (r *frontchannelRequest) framer() string {
	if r.Ancestor != nil {
		if *r.Ancestor == "null" { // masked by the embedder's referrer policy
			return ""
		}
		return *r.Ancestor
	}
	return origin(r.Referrer)
}

// origin is the scheme://host[:port] of an absolute URL, "" otherwise.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// frontchannelMismatch says why a request for p's issuer does not end s,
// p's session, "" when it does: the provider framed the page (where the
// browser tells who did: the issuer's origin or an endpoint's), and s is the
// session the request names (its ID token's sid, OpenID Connect
// Front-Channel Logout 1.0 §3). A stored request must also be younger than
// s's sign-in: a provider that gave a later sign-in the same sid ended only
// the earlier one.
func (m *Manager) frontchannelMismatch(p *provider, s *Session, r *frontchannelRequest, sid string, stored bool) string {
	if f := r.framer(); f != "" && !p.disc.providerOrigin(f) {
		return fmt.Sprintf("the page was framed by %s, not by the provider", f)
	}
	switch {
	case s.Claims == nil || s.Claims.SessionID == "":
		return "the session's ID token has no sid (the provider must send one: frontchannel_logout_session_supported)"
	case s.Claims.SessionID != sid:
		return "the sid is not the session's"
	}
	if stored && !s.Claims.AuthTime.IsZero() && time.UnixMilli(int64(r.At)).Before(s.Claims.AuthTime.Add(-max(p.cfg.ClockSkew, 0))) {
		return "the request is older than the session's sign-in"
	}
	return ""
}

// providerOrigin reports whether o is the origin of the issuer or of one of
// its browser-facing endpoints, the pages that may render logout iframes.
func (d *discovery) providerOrigin(o string) bool {
	for _, u := range []string{d.Issuer, d.EndSessionEndpoint, d.AuthorizationEndpoint} {
		if u != "" && origin(u) == strings.ToLower(o) {
			return true
		}
	}
	return false
}

// FrontchannelLogout takes one load of the app's front-channel logout page
// (OpenID Connect Front-Channel Logout 1.0 §2), as the page posted it: the
// JSON object of silentrefresh.FrontchannelLogoutHTML. It ends the session
// of each config with FrontchannelLogoutURL whose provider's issuer is the
// request's iss and whose session's sid is the request's sid, with
// EventLoggedOut (Reason ReasonProvider), and returns their IDs.
//
// A request that ends nothing — without iss or sid, loaded outside a frame,
// framed by another origin than the provider's (where the browser tells), for
// an issuer no such config has, or for another session — changes nothing:
// the error says why, for the console (it names no sid).
func (m *Manager) FrontchannelLogout(message string) (ended []string, err error) {
	return m.frontchannelEnd([]byte(message), false)
}

// ApplyStoredLogouts ends the sessions that a front-channel logout request
// stored by the logout page names (FrontchannelLogoutStoreKey), by the rule of
// FrontchannelLogout, for the requests that came while no tab of this
// config was open or listening; it returns the IDs of the configs whose
// session ended. Configure calls it, and the browser side when a page wakes
// (a frozen or back/forward-cached tab hears no BroadcastChannel). The
// requests stay stored (other tabs with sessionStorage may hold a session
// they end), and those that end nothing are passed over without a word:
// they are about sessions gone before.
func (m *Manager) ApplyStoredLogouts() (ended []string) {
	raw, ok := m.stores[StorageLocal].Get(FrontchannelLogoutStoreKey)
	var list []json.RawMessage
	if !ok || json.Unmarshal([]byte(raw), &list) != nil {
		return nil
	}
	for _, item := range list {
		e, _ := m.frontchannelEnd(item, true)
		ended = append(ended, e...)
	}
	return ended
}

// frontchannelEnd applies one request, live or stored (see
// frontchannelMismatch), to every config of its issuer.
func (m *Manager) frontchannelEnd(raw []byte, stored bool) (ended []string, err error) {
	r, iss, sid, err := parseFrontchannel(raw)
	if err == nil && !r.Framed {
		err = newError(codeInvalidRequest, "", "the front-channel logout page was loaded outside a frame: the provider loads it in an iframe (OpenID Connect Front-Channel Logout 1.0 §2)")
	}
	if err != nil {
		return nil, err
	}
	var why []string
	known := false
	if set := m.set.Load(); set != nil {
		for _, id := range set.order {
			p := set.byID[id]
			if p.cfg.FrontchannelLogoutURL == "" || p.disc.Issuer != iss {
				continue
			}
			known = true
			s := p.session.Load()
			if s == nil {
				continue // nothing to end: another tab's news may have come first
			}
			if w := m.frontchannelMismatch(p, s, r, sid, stored); w != "" {
				why = append(why, fmt.Sprintf("config %q: %s", id, w))
				continue
			}
			m.endSessionWith(p, "", ReasonProvider)
			ended = append(ended, id)
		}
	}
	switch {
	case len(ended) > 0 || known && len(why) == 0:
		return ended, nil
	case !known:
		return nil, newError(codeInvalidRequest, "", "front-channel logout for iss %q, which is the issuer of no config with frontchannelLogoutUrl", truncate(iss, 200))
	}
	return nil, newError(codeInvalidRequest, "", "front-channel logout for iss %q ignored: %s", truncate(iss, 200), strings.Join(why, "; "))
}

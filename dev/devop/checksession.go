package devop

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// OpenID Connect Session Management 1.0 for the clients: every successful
// authorization response carries session_state (§2), and discovery names a
// check_session_iframe (§3.3), /check_session, whose script compares it
// with the OP browser state it reads from its own cookie (§3.2). The
// browser state is a random value per browser session in a cookie script
// can read (the session cookie itself stays HttpOnly): a sign-in gives a new
// one, a sign-out in the browser (end_session, /signout) clears it, so the
// iframe answers "changed". EndSessions cannot reach the browser's cookie,
// so the iframe does not notice it.

const pathCheckSession = "/check_session"

// browserStateCookie is the name of the OP browser state cookie.
func (s *Server) browserStateCookie() string { return s.cookieName + "_state" }

// setBrowserState sets the browser state cookie; "" clears it. Not
// HttpOnly: the check_session_iframe's script reads it (§3.2). SameSite=Lax,
// so an iframe on a page of another site cannot read it, as
// third-party cookies go.
func (s *Server) setBrowserState(w http.ResponseWriter, state string) {
	c := &http.Cookie{Name: s.browserStateCookie(), Value: state, Path: "/", SameSite: http.SameSiteLaxMode}
	if state == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// sessionState is §2's session_state for a client at an origin in the
// browser state bs: base64url(SHA-256(client_id + " " + origin + " " + bs +
// " " + salt)) + "." + salt, with a fresh salt.
func sessionState(clientID, origin, bs string) string {
	salt := randomID(8)
	return sessionStateHash(clientID, origin, bs, salt) + "." + salt
}

func sessionStateHash(clientID, origin, bs, salt string) string {
	sum := sha256.Sum256([]byte(clientID + " " + origin + " " + bs + " " + salt))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// withSessionState adds session_state to the code response that op
// redirects to a's redirect URI (in the query, or the fragment for
// response_mode=fragment), for the origin of that URI and ss's browser state.
func (s *Server) withSessionState(w http.ResponseWriter, a *authRequest, ss session) http.ResponseWriter {
	hw := &hookWriter{ResponseWriter: w}
	hw.before = func(status int) int {
		if status < 300 || status >= 400 {
			return status
		}
		loc, err := url.Parse(w.Header().Get("Location"))
		if err != nil || !loc.IsAbs() {
			return status
		}
		o := originsOf([]string{a.redirectURI})
		if len(o) != 1 {
			return status
		}
		param := "session_state=" + url.QueryEscape(sessionState(a.clientID, o[0], ss.browserState))
		if f, err := url.ParseQuery(loc.Fragment); err == nil && f.Has("code") {
			w.Header().Set("Location", w.Header().Get("Location")+"&"+param)
		} else if q := loc.Query(); q.Has("code") {
			loc.RawQuery += "&" + param
			w.Header().Set("Location", loc.String())
		} else {
			return status
		}
		hw.discard = true // http.Redirect's body shows the old URL
		return status
	}
	return hw
}

var checkSessionPage = template.Must(template.New("check_session").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>check_session_iframe — devop</title>
<script>
"use strict";
// OpenID Connect Session Management 1.0 §3.2: a client's page posts
// "client_id session_state"; the answer is "unchanged" when session_state is
// the hash of client_id, the page's origin, the browser state in this
// provider's cookie and the salt, "changed" when not, "error" when the
// message is malformed or the client is not registered at that origin.
var origins = {{.Origins}}, cookie = {{.Cookie}};
function browserState() {
  var kv = document.cookie.split("; ").find(function (c) { return c.startsWith(cookie + "="); });
  return kv ? decodeURIComponent(kv.slice(cookie.length + 1)) : "";
}
function b64url(buf) {
  return btoa(String.fromCharCode.apply(null, new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
addEventListener("message", function (e) {
  if (!e.source) return;
  var answer = function (s) { e.source.postMessage(s, e.origin); };
  var parts = typeof e.data === "string" ? e.data.split(" ") : [];
  var st = parts.length === 2 ? parts[1].split(".") : [];
  if (st.length !== 2 || !Object.prototype.hasOwnProperty.call(origins, parts[0]) || origins[parts[0]].indexOf(e.origin) < 0) {
    answer("error");
    return;
  }
  var text = parts[0] + " " + e.origin + " " + browserState() + " " + st[1];
  crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (d) {
    answer(b64url(d) === st[0] ? "unchanged" : "changed");
  }, function () { answer("error"); });
});
</script>
</html>`))

// handleCheckSession serves the check_session_iframe (§3.2). Only the
// clients' origins may frame it (CSP frame-ancestors); it answers a client
// only at the origins registered for it.
func (s *Server) handleCheckSession(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	origins := map[string][]string{}
	var all []string
	for id, cl := range s.store.clients {
		o := originsOf(cl.Client.RedirectURIs)
		origins[id] = o
		for _, x := range o {
			if !slices.Contains(all, x) {
				all = append(all, x)
			}
		}
	}
	slices.Sort(all)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "frame-ancestors "+strings.Join(append([]string{"'self'"}, all...), " "))
	_ = checkSessionPage.Execute(w, map[string]any{"Origins": origins, "Cookie": s.browserStateCookie()})
}

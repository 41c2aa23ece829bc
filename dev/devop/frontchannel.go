package devop

import (
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// OpenID Connect Front-Channel Logout 1.0 for the clients: the ID tokens
// carry sid (§3), discovery says frontchannel_logout_supported and
// frontchannel_logout_session_supported, and when a browser session ends in
// the browser — at end_session (RP-Initiated Logout), or on the provider's
// own sign-out page, /signout — the page that says so renders an iframe of
// the frontchannel_logout_uri of every client that got a code in that
// session, with iss and sid for those that registered
// frontchannel_logout_session_required (§2). EndSessions has no browser to
// render them in: it ends sessions without front-channel logout.

const pathSignOut = "/signout"

// addSessionID puts the browser session's ID in the ID token as sid (§3):
// the code's session, or for a refresh the session of the grant.
func addSessionID(info *oidc.UserInfo, req op.IDTokenRequest) {
	var sid string
	switch r := req.(type) {
	case *authRequest:
		sid = r.sessionID
	case *refreshRequest:
		sid = r.sid
	}
	if sid != "" {
		info.AppendClaims("sid", sid)
	}
}

// checkFrontchannelURI applies §2 to a registration: an absolute http(s)
// URL without fragment, on the scheme, host and port of a redirect URI.
func checkFrontchannelURI(cl Client) error {
	if cl.FrontchannelLogoutURI == "" {
		if cl.FrontchannelLogoutSessionRequired {
			return errors.New("frontchannel_logout_session_required without a frontchannel_logout_uri")
		}
		return nil
	}
	if err := checkRedirectURI(cl.FrontchannelLogoutURI); err != nil {
		return err
	}
	o := originsOf([]string{cl.FrontchannelLogoutURI})
	for _, r := range originsOf(cl.RedirectURIs) {
		if len(o) == 1 && r == o[0] {
			return nil
		}
	}
	return errors.New("must be on the scheme, host and port of a redirect URI (OpenID Connect Front-Channel Logout 1.0 §2)")
}

// logoutFrame is one client's iframe on a page that ends a session.
type logoutFrame struct {
	ClientID string
	URL      string
}

// logoutFrames are the iframes to render for the end of ss: each client of
// the session with a frontchannel_logout_uri, with iss and sid appended to
// its query when it registered frontchannel_logout_session_required.
func (s *Server) logoutFrames(ss session) []logoutFrame {
	var out []logoutFrame
	for _, id := range ss.clients {
		cl := s.store.clients[id]
		if cl == nil || cl.FrontchannelLogoutURI == "" {
			continue
		}
		u := cl.FrontchannelLogoutURI
		if cl.FrontchannelLogoutSessionRequired {
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			u += sep + url.Values{"iss": {s.issuer}, "sid": {ss.id}}.Encode()
		}
		out = append(out, logoutFrame{ClientID: id, URL: u})
	}
	return out
}

// takeSession ends the browser session id and returns it as it was.
func (s *store) takeSession(id string) (session, bool) {
	ss, ok := s.session(id)
	if ok {
		s.endSession(id)
	}
	return ss, ok
}

var signedOutPage = template.Must(template.New("signedout").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{if .Next}}Signing out{{else}}Signed out{{end}} — devop</title>
<style>body{font:16px system-ui,sans-serif;max-width:30rem;margin:4rem auto;padding:0 1rem}
.hint{color:#555;font-size:.9rem}li.done::after{content:" ✓";color:#080}
iframe{width:0;height:0;border:0;position:absolute;visibility:hidden}</style></head>
<body><h1>{{if .Next}}Signing out…{{else}}Signed out{{end}}</h1>
<p class="hint">Development OpenID Provider {{.Issuer}}{{if .User}}: {{.User}} is signed out{{end}}.</p>
{{if .Frames}}<p>Front-channel logout (OpenID Connect Front-Channel Logout 1.0) of the applications signed in with this session:</p>
<ul id="clients">{{range .Frames}}<li data-client="{{.ClientID}}">{{.ClientID}}</li>{{end}}</ul>
{{range .Frames}}<iframe data-client="{{.ClientID}}" src="{{.URL}}" title="front-channel logout of {{.ClientID}}"></iframe>{{end}}
{{else}}<p>No application of this session asked for front-channel logout.</p>{{end}}
{{if .Next}}<p><a id="next" href="{{.Next}}">Continue</a></p>{{else}}<p><a href="/signout">Sign-out page</a></p>{{end}}
<script>
(function () {
  var frames = document.querySelectorAll("iframe"), left = frames.length, next = document.getElementById("next");
  function done() { if (next && left <= 0) location.replace(next.href); }
  frames.forEach(function (f) {
    f.addEventListener("load", function () {
      left--;
      var li = document.querySelector('li[data-client="' + f.dataset.client + '"]');
      if (li) li.className = "done";
      done();
    });
  });
  done();
  if (next) setTimeout(function () { left = 0; done(); }, 5000);
})();
</script>
</body></html>`))

// signedOutHeaders are the headers of the page that says a session ended.
func signedOutHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "strict-origin") // the logout pages see the provider's origin (document.referrer)
	h.Set("X-Frame-Options", "DENY")
}

// writeSignedOut writes the body of the page that says the session ss ended
// (ended false: there was none) and renders its front-channel logout
// iframes; with next, it goes on there once every iframe has loaded (or
// after 5 s).
func (s *Server) writeSignedOut(w io.Writer, ss session, ended bool, next string) {
	var frames []logoutFrame
	user := ""
	if ended {
		frames = s.logoutFrames(ss)
		if u, ok := s.store.userBySubject(ss.subject); ok {
			user = u.Username
		}
	}
	_ = signedOutPage.Execute(w, map[string]any{"Issuer": s.issuer, "User": user, "Frames": frames, "Next": next})
}

var signOutPage = template.Must(template.New("signout").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Your session — devop</title>
<style>body{font:16px system-ui,sans-serif;max-width:30rem;margin:4rem auto;padding:0 1rem}
button{padding:.5rem 1rem}.hint{color:#555;font-size:.9rem}</style></head>
<body><h1>Your session</h1>
<p class="hint">Development OpenID Provider {{.Issuer}}.</p>
{{if .User}}<p>Signed in as <b id="user">{{.User}}</b>{{if .Clients}}, with {{range $i, $c := .Clients}}{{if $i}}, {{end}}<code>{{$c}}</code>{{end}}{{end}}.</p>
<p>Signing out here ends the session at the provider, and every application that asked for
front-channel logout signs out too, in all its tabs.</p>
<form method="post" action="/signout"><button id="signout" type="submit">Sign out</button></form>
{{else}}<p id="user">Not signed in.</p>{{end}}
</body></html>`))

// handleSignOut is the provider's own sign-out page: GET shows the browser
// session, POST ends it and renders the front-channel logout iframes of its
// clients. A POST must come from the provider's own page (Origin, when the
// browser sends one), not from another site's form.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		ss, ok := s.sessionFromRequest(r)
		data := map[string]any{"Issuer": s.issuer}
		if ok {
			if u, found := s.store.userBySubject(ss.subject); found {
				data["User"], data["Clients"] = u.Username, ss.clients
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Frame-Options", "DENY")
		_ = signOutPage.Execute(w, data)
	case http.MethodPost:
		if o := r.Header.Get("Origin"); o != "" && o != s.issuer {
			http.Error(w, "devop: sign out from the provider's own page", http.StatusForbidden)
			return
		}
		var ss session
		ended := false
		if c, err := r.Cookie(s.cookieName); err == nil {
			ss, ended = s.store.takeSession(c.Value)
		}
		s.clearSessionCookie(w)
		signedOutHeaders(w.Header())
		s.writeSignedOut(w, ss, ended, "")
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

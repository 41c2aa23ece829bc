package devop_test

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// Clients of the front-channel tests: "spa" with frontchannel_logout_uri and
// frontchannel_logout_session_required, "bare" with the URI only, "none"
// without one.
const (
	fcURI     = spaOrigin + "/frontchannel-logout.html"
	bareURI   = spaOrigin + "/bare-logout.html?app=bare"
	bareRedir = spaOrigin + "/bare"
	noneRedir = spaOrigin + "/none"
)

func fcServer(t *testing.T) *devop.Server {
	return start(t, devop.Config{Clients: []devop.Client{
		{ID: clientID, RedirectURIs: []string{redirectURI}, PostLogoutRedirectURIs: []string{logoutURI},
			FrontchannelLogoutURI: fcURI, FrontchannelLogoutSessionRequired: true},
		{ID: "bare", RedirectURIs: []string{bareRedir}, FrontchannelLogoutURI: bareURI},
		{ID: "none", RedirectURIs: []string{noneRedir}},
	}})
}

// signInAs runs the code flow for client at redirect in b's browser session
// and returns the token response.
func signInAs(t *testing.T, b *browser, client, redirect string) tokenResponse {
	t.Helper()
	p := newPKCE(client[:1])
	params := authParams(p, "openid offline_access")
	params.Set("client_id", client)
	params.Set("redirect_uri", redirect)
	s := b.authorize(params)
	if s.response == nil {
		s = b.login(s.page, "alice", "alice")
	}
	tr := token(t, b.srv, url.Values{"grant_type": {"authorization_code"}, "code": {s.response.Get("code")},
		"redirect_uri": {redirect}, "client_id": {client}, "code_verifier": {p.verifier}})
	if tr.IDToken == "" {
		t.Fatalf("sign-in of %s: %+v", client, tr)
	}
	return tr
}

// browserStateOf is the OP browser state cookie in b's jar, "" without one.
func browserStateOf(b *browser) string {
	u, _ := url.Parse(b.srv.Issuer())
	for _, c := range b.client.Jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "_state") {
			return c.Value
		}
	}
	return ""
}

func sidOf(t *testing.T, srv *devop.Server, idToken string) string {
	t.Helper()
	_, claims := verify(t, jwks(t, srv), idToken)
	sid, _ := claims["sid"].(string)
	return sid
}

// TestIDTokensCarryTheBrowserSessionsSID: OpenID Connect Front-Channel
// Logout 1.0 §3: every ID token names the browser session as sid, the same
// for every client and sign-in of that session and after a refresh, another
// for another session; discovery says so.
func TestIDTokensCarryTheBrowserSessionsSID(t *testing.T) {
	srv := fcServer(t)
	var disc map[string]any
	getJSON(t, srv.Issuer()+"/.well-known/openid-configuration", &disc)
	if disc["frontchannel_logout_supported"] != true || disc["frontchannel_logout_session_supported"] != true ||
		disc["check_session_iframe"] != srv.Issuer()+"/check_session" {
		t.Fatalf("discovery: frontchannel %v/%v, check_session_iframe %v", disc["frontchannel_logout_supported"],
			disc["frontchannel_logout_session_supported"], disc["check_session_iframe"])
	}
	b := newBrowser(t, srv)
	first := signInAs(t, b, clientID, redirectURI)
	sid := sidOf(t, srv, first.IDToken)
	if sid == "" {
		t.Fatal("no sid in the ID token")
	}
	if got := sidOf(t, srv, signInAs(t, b, "bare", bareRedir).IDToken); got != sid {
		t.Errorf("another client in the same session: sid %q, want %q", got, sid)
	}
	if r := refresh(t, srv, first.RefreshToken); sidOf(t, srv, r.IDToken) != sid {
		t.Errorf("refreshed ID token: sid %q, want %q", sidOf(t, srv, r.IDToken), sid)
	}
	if other := sidOf(t, srv, signInAs(t, newBrowser(t, srv), clientID, redirectURI).IDToken); other == sid || other == "" {
		t.Errorf("another browser: sid %q, want another one", other)
	}
}

var iframeSrc = regexp.MustCompile(`<iframe data-client="([^"]+)" src="([^"]+)"`)

// frames returns the front-channel logout iframes of a page, by client.
func frames(page string) map[string]string {
	out := map[string]string{}
	for _, m := range iframeSrc.FindAllStringSubmatch(page, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// TestSignOutPageRendersTheFrontchannelLogoutOfItsClients: the provider's own
// sign-out page ends the browser session and renders, for each client that
// got a code in it, its frontchannel_logout_uri with iss and sid when it
// registered frontchannel_logout_session_required (§2); none for a client
// without one. A POST from another origin ends nothing.
func TestSignOutPageRendersTheFrontchannelLogoutOfItsClients(t *testing.T) {
	srv := fcServer(t)
	b := newBrowser(t, srv)
	sid := sidOf(t, srv, signInAs(t, b, clientID, redirectURI).IDToken)
	signInAs(t, b, "bare", bareRedir)
	signInAs(t, b, "none", noneRedir)

	resp := b.get(srv.Issuer() + "/signout")
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `<b id="user">alice</b>`) || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("GET /signout: %s\n%s", resp.Status, page)
	}

	req, _ := http.NewRequest(http.MethodPost, srv.Issuer()+"/signout", nil)
	req.Header.Set("Origin", spaOrigin)
	if resp, err := b.client.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST from another origin: %v %v, want 403", resp.Status, err)
	}
	if r := b.authorize(authParams(newPKCE("x"), "openid", "prompt", "none")).response; r.Get("code") == "" {
		t.Fatalf("a refused sign-out ended the session: %v", r)
	}

	req, _ = http.NewRequest(http.MethodPost, srv.Issuer()+"/signout", nil)
	req.Header.Set("Origin", srv.Issuer())
	resp, err := b.client.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /signout: %v %v", resp.Status, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got := frames(string(body))
	want := map[string]string{
		clientID: fcURI + "?" + url.Values{"iss": {srv.Issuer()}, "sid": {sid}}.Encode(),
		"bare":   bareURI,
	}
	if len(got) != len(want) || got[clientID] != want[clientID] || got["bare"] != want["bare"] {
		t.Fatalf("iframes %v, want %v\n%s", got, want, body)
	}
	if rp := resp.Header.Get("Referrer-Policy"); rp != "strict-origin" {
		t.Errorf("Referrer-Policy %q: the logout pages should see the provider's origin", rp)
	}
	if r := b.authorize(authParams(newPKCE("y"), "openid", "prompt", "none")).response; r.Get("error") != "login_required" {
		t.Errorf("prompt=none after the sign-out: %v, want login_required", r)
	}
	// Signed out: nothing to render, and the page says so.
	resp = b.get(srv.Issuer() + "/signout")
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Not signed in.") {
		t.Errorf("GET /signout after: %s", page)
	}
}

// TestEndSessionRendersTheFrontchannelLogoutThenGoesOn: RP-initiated
// logout of a session with front-channel clients answers with the page
// that renders their iframes and then goes on to op's redirect
// (post_logout_redirect_uri with state); without such clients it is the
// plain redirect.
func TestEndSessionRendersTheFrontchannelLogoutThenGoesOn(t *testing.T) {
	srv := fcServer(t)
	b := newBrowser(t, srv)
	tr := signInAs(t, b, clientID, redirectURI)
	sid := sidOf(t, srv, tr.IDToken)
	resp := b.get(srv.Issuer() + "/end_session?" + url.Values{"id_token_hint": {tr.IDToken},
		"post_logout_redirect_uri": {logoutURI}, "state": {"bye"}}.Encode())
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
		t.Fatalf("end_session: %s, Location %q; want the front-channel page", resp.Status, resp.Header.Get("Location"))
	}
	wantFrame := fcURI + "?" + url.Values{"iss": {srv.Issuer()}, "sid": {sid}}.Encode()
	if got := frames(string(body)); got[clientID] != wantFrame || len(got) != 1 {
		t.Fatalf("iframes %v", got)
	}
	if !strings.Contains(string(body), `<a id="next" href="`+html.EscapeString(logoutURI+"?state=bye")+`"`) {
		t.Fatalf("the page does not go on to the post-logout redirect:\n%s", body)
	}
	if r := b.authorize(authParams(newPKCE("z"), "openid", "prompt", "none")).response; r.Get("error") != "login_required" {
		t.Errorf("prompt=none after end_session: %v, want login_required", r)
	}
	if bs := browserStateOf(b); bs != "" {
		t.Errorf("browser state %q after end_session: the check_session_iframe would say unchanged", bs)
	}

	// A session without front-channel clients: op's plain redirect.
	srv2 := start(t, devop.Config{})
	b2 := newBrowser(t, srv2)
	p := newPKCE("q")
	tr2 := exchange(t, srv2, b2.signIn(p, "openid", "alice"), p.verifier)
	resp = b2.get(srv2.Issuer() + "/end_session?" + url.Values{"id_token_hint": {tr2.IDToken},
		"post_logout_redirect_uri": {logoutURI}, "state": {"bye"}}.Encode())
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != logoutURI+"?state=bye" {
		t.Fatalf("end_session without front-channel clients: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
}

func TestFrontchannelLogoutURIIsChecked(t *testing.T) {
	for _, tt := range []struct {
		name string
		cl   devop.Client
		says string
	}{
		{"another origin", devop.Client{ID: "c", RedirectURIs: []string{redirectURI}, FrontchannelLogoutURI: "http://localhost:9999/fc.html"}, "scheme, host and port of a redirect URI"},
		{"a fragment", devop.Client{ID: "c", RedirectURIs: []string{redirectURI}, FrontchannelLogoutURI: spaOrigin + "/fc.html#x"}, "fragment"},
		{"relative", devop.Client{ID: "c", RedirectURIs: []string{redirectURI}, FrontchannelLogoutURI: "/fc.html"}, "absolute"},
		{"session required without a URI", devop.Client{ID: "c", RedirectURIs: []string{redirectURI}, FrontchannelLogoutSessionRequired: true}, "without a frontchannel_logout_uri"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cl.Validate(); err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Validate: %v, want an error saying %q", err, tt.says)
			}
		})
	}
	if err := (devop.Client{ID: "c", RedirectURIs: []string{redirectURI}, FrontchannelLogoutURI: fcURI}).Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestAuthorizationResponsesCarrySessionState: OpenID Connect Session
// Management 1.0 §2: a successful response carries session_state =
// base64url(SHA-256(client_id origin browser-state salt)).salt, with the
// browser state of the cookie the check_session_iframe reads; the same
// browser session gives the same hash input (a new salt), a new sign-in a
// new browser state, the sign-out none.
func TestAuthorizationResponsesCarrySessionState(t *testing.T) {
	srv := start(t, devop.Config{})
	b := newBrowser(t, srv)
	stateOf := func(s step) (hash, salt string) {
		t.Helper()
		st := s.response.Get("session_state")
		hash, salt, ok := strings.Cut(st, ".")
		if !ok || hash == "" || salt == "" {
			t.Fatalf("session_state %q in %v", st, s.response)
		}
		return hash, salt
	}
	browserState := func() string { return browserStateOf(b) }
	want := func(bs, salt string) string {
		sum := sha256.Sum256([]byte(clientID + " " + spaOrigin + " " + bs + " " + salt))
		return base64.RawURLEncoding.EncodeToString(sum[:])
	}

	s := b.authorize(authParams(newPKCE("a"), "openid"))
	s = b.login(s.page, "alice", "alice")
	bs := browserState()
	if bs == "" {
		t.Fatal("no browser state cookie")
	}
	if hash, salt := stateOf(s); hash != want(bs, salt) {
		t.Fatalf("session_state hash %q, want %q", hash, want(bs, salt))
	}
	silent := b.authorize(authParams(newPKCE("b"), "openid", "prompt", "none", "response_mode", "fragment"))
	if hash, salt := stateOf(silent); hash != want(bs, salt) || browserState() != bs {
		t.Fatalf("the same session: hash %q, want %q", hash, want(bs, salt))
	}
	again := b.authorize(authParams(newPKCE("c"), "openid", "prompt", "login"))
	again = b.login(again.page, "bob", "bob")
	if browserState() == bs || browserState() == "" {
		t.Fatal("a new sign-in kept the browser state")
	}
	if hash, salt := stateOf(again); hash != want(browserState(), salt) {
		t.Fatal("session_state does not follow the new browser state")
	}
	refused := b.authorize(authParams(newPKCE("d"), "openid", "prompt", "none", "max_age", "0"))
	if refused.response.Get("error") == "" || refused.response.Has("session_state") {
		t.Fatalf("an error response: %v", refused.response)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.Issuer()+"/signout", nil)
	if resp, err := b.client.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /signout: %v", err)
	}
	if bs := browserState(); bs != "" {
		t.Fatalf("browser state %q after the sign-out", bs)
	}
}

// TestCheckSessionIframeIsServedForTheClients: the check_session_iframe may
// be framed by the clients' origins only, names each client's origins, and
// reads the browser state cookie by its name.
func TestCheckSessionIframeIsServedForTheClients(t *testing.T) {
	srv := fcServer(t)
	resp, err := http.Get(srv.Issuer() + "/check_session")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || csp != "frame-ancestors 'self' "+spaOrigin || resp.Header.Get("X-Frame-Options") != "" {
		t.Fatalf("GET /check_session: %s, CSP %q", resp.Status, csp)
	}
	page := string(body)
	for _, want := range []string{`"spa":["http://localhost:8080"]`, `"none":["http://localhost:8080"]`, `crypto.subtle.digest("SHA-256"`, `_state"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s:\n%s", want, page)
		}
	}
	if n := srv.Counts()["check_session"]; n != 1 {
		t.Errorf("Counts check_session %d, want 1", n)
	}
}

package integration

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/devop"
	"github.com/oidcwasm/oidcwasm/spa"
)

const app = "http://localhost:8080"

// browser follows the provider's redirects with a cookie jar, as a browser
// would, and stops at the first redirect back to the app.
type browser struct {
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{c: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), app) {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

// visit loads u and returns the app URL the provider sent the browser back to.
func (b *browser) visit(t *testing.T, u string) string {
	t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode/100 != 3 || !strings.HasPrefix(loc, app) {
		t.Fatalf("GET %s: %d, Location %q: not redirected back to the app", u, resp.StatusCode, loc)
	}
	return loc
}

func TestSPAFlowAgainstTheDevelopmentProvider(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	op, err := devop.Start(ctx, devop.Config{
		Clients: []devop.Client{{ID: "spa", RedirectURIs: []string{app + "/", app + "/silent-refresh.html"},
			PostLogoutRedirectURIs: []string{app + "/"}}},
		AutoLogin: "alice",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()

	b := newBrowser(t)
	store := spa.NewMemoryStore()
	renewer := &visitRenewer{t: t, b: b}
	m := spa.NewManager(spa.Options{Fetcher: spa.NetHTTPFetcher{}, Renewer: renewer,
		Stores: map[string]spa.Store{spa.StorageSession: store}})
	if err := m.Configure(ctx, []spa.Config{{ConfigID: "a", Authority: op.Issuer(), ClientID: "spa",
		RedirectURL: app + "/", PostLogoutRedirectURI: app + "/", Scope: "openid profile email offline_access",
		UseRefreshToken: true, SecureRoutes: spa.Routes(app + "/api")}}); err != nil {
		t.Fatal(err)
	}

	// Sign in: code flow with PKCE through the provider's auto-login.
	authURL, err := m.Authorize(ctx, "a", spa.AuthorizeOptions{ReturnURL: "/orders"})
	if err != nil {
		t.Fatal(err)
	}
	back := b.visit(t, authURL)
	if u, _ := url.Parse(back); u.Query().Get("iss") != op.Issuer() {
		t.Fatalf("callback %s lacks the RFC 9207 iss", u.Path)
	}
	res, err := m.CheckAuth(ctx, back)
	if err != nil {
		t.Fatalf("CheckAuth: %v", err)
	}
	if !res[0].IsAuthenticated || res[0].ReturnURL != app+"/orders" || res[0].UserData["name"] == nil || res[0].UserData["sub"] == nil {
		t.Fatalf("after the callback: %+v", res[0])
	}
	s, _ := m.Session("a")
	if s.RefreshToken == "" || s.ExpiresAt.IsZero() {
		t.Fatalf("session lacks a refresh token or an expiry")
	}
	if _, err := m.CheckAuth(ctx, back); spa.ErrorCode(err) != spa.CodeStateMismatch {
		t.Fatalf("replayed callback: %v", err)
	}

	// Userinfo with the access token.
	claims, err := m.UserInfo(ctx, "a")
	if err != nil || claims["sub"] != s.Claims.Subject {
		t.Fatalf("userinfo: %v %v", claims, err)
	}

	// Refresh with rotation: the old refresh token is refused afterwards.
	old := s.RefreshToken
	s2, err := m.Renew(ctx, "a")
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if s2.RefreshToken == old || s2.AccessToken == s.AccessToken {
		t.Fatal("refresh did not rotate the tokens")
	}
	if code := replayRefresh(t, op.Issuer(), old); code != "invalid_grant" {
		t.Fatalf("replayed refresh token answered %q, want invalid_grant", code)
	}
	// Reuse detection revoked the family (RFC 9700 §4.14.2): the session ends on the next renewal.
	if _, err := m.Renew(ctx, "a"); spa.ErrorCode(err) != "invalid_grant" || m.IsAuthenticated("a") {
		t.Fatalf("renewal after reuse: %v, authenticated %v", err, m.IsAuthenticated("a"))
	}

	// Sign in again, revoke the access token, and userinfo refuses it.
	res, err = m.CheckAuth(ctx, b.visit(t, mustAuthorize(t, m)))
	if err != nil || !res[0].IsAuthenticated {
		t.Fatalf("second sign-in: %v", err)
	}
	s3, _ := m.Session("a")
	if err := m.Revoke(ctx, "a", spa.HintAccessToken, s3.AccessToken); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	resp, err := (&http.Client{}).Do(bearer(t, op.Issuer()+"/userinfo", s3.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("userinfo with a revoked token: %d", resp.StatusCode)
	}

	// A silent (prompt=none) renewal works while the provider's session lives.
	renewer.iframe = true
	if _, err := m.Renew(ctx, "a"); err != nil {
		t.Fatalf("silent renewal: %v", err)
	}
	kept, _ := store.Get("oidcwasm.a.session")

	// Logoff: the end-session URL ends the provider's session, and prompt=none then answers login_required.
	endURL, err := m.Logoff(ctx, "a", spa.EndSessionOptions{})
	if err != nil || m.IsAuthenticated("a") {
		t.Fatalf("logoff: %v", err)
	}
	q := mustQuery(t, endURL)
	if q.Get("id_token_hint") == "" || q.Get("post_logout_redirect_uri") != app+"/" || q.Get("state") == "" {
		t.Fatalf("end-session URL lacks id_token_hint, post_logout_redirect_uri or state")
	}
	after := b.visit(t, endURL)
	if mustQuery(t, after).Get("state") != q.Get("state") {
		t.Fatalf("post-logout redirect %s does not carry our state", after)
	}
	// A tab that still holds the session (its copy, restored here) asks
	// prompt=none: the provider, its session gone, answers login_required.
	if err := store.Set("oidcwasm.a.session", kept); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Reload("a"); err != nil || !m.IsAuthenticated("a") {
		t.Fatalf("restoring the kept session: %v", err)
	}
	logins := op.Counts()["authorize"]
	_, err = m.Renew(ctx, "a")
	var se *spa.Error
	if !errors.As(err, &se) || se.Code != spa.CodeLoginRequired || op.Counts()["authorize"] != logins+1 {
		t.Fatalf("prompt=none after logoff: %v after %d authorization requests, want the provider's login_required", err, op.Counts()["authorize"]-logins)
	}
}

// visitRenewer renews with the refresh token, or, once iframe is set, as
// the hidden iframe does, with the test's browser as the iframe: the
// Renewal's prompt=none request, its answer completed.
type visitRenewer struct {
	t      *testing.T
	b      *browser
	iframe bool
}

func (v *visitRenewer) Renew(ctx context.Context, rn *spa.Renewal) error {
	if !v.iframe {
		return rn.Refresh(ctx)
	}
	req, err := rn.SilentRequest(ctx)
	if err != nil {
		return err
	}
	return rn.Complete(ctx, req, v.b.visit(v.t, req.URL))
}

func mustAuthorize(t *testing.T, m *spa.Manager) string {
	t.Helper()
	u, err := m.Authorize(context.Background(), "a", spa.AuthorizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

func bearer(t *testing.T, u, token string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// replayRefresh presents a refresh token at the token endpoint and returns
// the OAuth error code ("" when it was accepted).
func replayRefresh(t *testing.T, issuer, refreshToken string) string {
	t.Helper()
	var disc struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	getJSON(t, http.DefaultClient.Get, issuer+"/.well-known/openid-configuration", &disc)
	resp, err := http.PostForm(disc.TokenEndpoint, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "client_id": {"spa"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return ""
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("token endpoint error body: %v", err)
	}
	return e.Error
}

func getJSON(t *testing.T, get func(string) (*http.Response, error), u string, v any) {
	t.Helper()
	resp, err := get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

package devop_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

const (
	orders  = "http://localhost:8091/api/orders" // takes orders.read and orders.write only
	billing = "https://billing.example"          // takes any granted scope
	unknown = "https://unknown.example"
)

// resourceProvider runs a provider with two resources, the SPA client and
// the confidential client "api" that introspects.
func resourceProvider(t *testing.T) *devop.Server {
	t.Helper()
	return start(t, devop.Config{AutoLogin: "alice",
		Clients: []devop.Client{
			{ID: clientID, RedirectURIs: []string{redirectURI}},
			{ID: "api", Secret: "api-secret", RedirectURIs: []string{"http://localhost:9090/cb"}},
		},
		Resources: []devop.Resource{
			{URI: orders, Scopes: []string{"orders.read", "orders.write"}},
			{URI: billing},
		}})
}

// authorizeFor sends an authorization request naming resources (RFC 8707
// §2.1) from browser b.
func authorizeFor(b *browser, p pkce, scope string, extra []string, resources ...string) step {
	b.t.Helper()
	params := authParams(p, scope, extra...)
	params["resource"] = resources
	return b.authorize(params)
}

// signInFor signs in with the resource parameters given and returns the code.
func signInFor(t *testing.T, srv *devop.Server, p pkce, scope string, resources ...string) string {
	t.Helper()
	s := authorizeFor(newBrowser(t, srv), p, scope, nil, resources...)
	if s.response.Get("code") == "" {
		t.Fatalf("no code: %v", s.response)
	}
	return s.response.Get("code")
}

func exchangeFor(t *testing.T, srv *devop.Server, code string, p pkce, resources ...string) tokenResponse {
	t.Helper()
	return token(t, srv, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {clientID}, "code_verifier": {p.verifier}, "resource": resources})
}

// refreshFor refreshes with a resource and, unless "", a scope parameter.
func refreshFor(t *testing.T, srv *devop.Server, rt, resource, scope string) tokenResponse {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}}
	if resource != "" {
		form.Set("resource", resource)
	}
	if scope != "" {
		form.Set("scope", scope)
	}
	return token(t, srv, form)
}

func scopeOf(c map[string]any) []string {
	s, _ := c["scope"].(string)
	return strings.Fields(s)
}

// introspection asks RFC 7662 §2.1 as the confidential client "api" and
// returns the whole answer.
func introspection(t *testing.T, srv *devop.Server, tok string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.Issuer()+"/oauth/introspect",
		strings.NewReader(url.Values{"token": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("api", "api-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("introspect: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTokensPerResource: a code flow naming two resources; the code
// exchange for one and the refresh for the other get access tokens with aud
// = [resource] and the scopes that resource takes (RFC 8707 §2.2), the
// token answer's scope says so, and the ID token stays the client's.
func TestTokensPerResource(t *testing.T) {
	srv := resourceProvider(t)
	p := newPKCE("r")
	code := signInFor(t, srv, p, "openid profile offline_access orders.read", orders, billing)
	tr := exchangeFor(t, srv, code, p, orders)
	if tr.status != http.StatusOK || tr.RefreshToken == "" {
		t.Fatalf("code exchange with resource: %d %s, refresh token present: %v", tr.status, tr.Error, tr.RefreshToken != "")
	}
	set := jwks(t, srv)
	_, at := verify(t, set, tr.AccessToken)
	if !slices.Equal(audience(at), []string{orders}) || !slices.Equal(scopeOf(at), []string{"orders.read"}) || at["client_id"] != clientID {
		t.Errorf("access token for %s: aud %v scope %v client_id %v, want [%s] [orders.read] %s",
			orders, audience(at), scopeOf(at), at["client_id"], orders, clientID)
	}
	if tr.Scope != "orders.read" {
		t.Errorf("token answer scope %q, want the access token's, orders.read", tr.Scope)
	}
	_, idt := verify(t, set, tr.IDToken)
	if !slices.Equal(audience(idt), []string{clientID}) || idt["sub"] != "user-alice" {
		t.Errorf("ID token aud %v sub %v, want [%s] user-alice", audience(idt), idt["sub"], clientID)
	}

	r := refreshFor(t, srv, tr.RefreshToken, billing, "")
	if r.status != http.StatusOK || r.RefreshToken == "" || r.RefreshToken == tr.RefreshToken {
		t.Fatalf("refresh with resource: %d %s, want a rotated refresh token", r.status, r.Error)
	}
	_, bt := verify(t, set, r.AccessToken)
	grant := "openid profile offline_access orders.read"
	if !slices.Equal(audience(bt), []string{billing}) || strings.Join(scopeOf(bt), " ") != grant || r.Scope != grant {
		t.Errorf("access token for %s: aud %v scope %v, answer scope %q; want [%s] and the grant's scope %q",
			billing, audience(bt), scopeOf(bt), r.Scope, billing, grant)
	}
	if _, idt := verify(t, set, r.IDToken); !slices.Equal(audience(idt), []string{clientID}) {
		t.Errorf("refreshed ID token aud %v, want [%s]", audience(idt), clientID)
	}

	// The family rotated from the code keeps the grant's resources.
	again := refreshFor(t, srv, r.RefreshToken, orders, "")
	if _, ot := verify(t, set, again.AccessToken); again.status != http.StatusOK || !slices.Equal(audience(ot), []string{orders}) {
		t.Fatalf("second rotation for %s: %d %q aud %v", orders, again.status, again.Error, audience(ot))
	}
	plain := refresh(t, srv, again.RefreshToken)
	if _, lt := verify(t, set, plain.AccessToken); plain.status != http.StatusOK ||
		!slices.Equal(audience(lt), []string{clientID}) || strings.Join(scopeOf(lt), " ") != grant || plain.Scope != grant {
		t.Errorf("refresh without resource: %d, aud %v scope %v, want the client's token as without resources", plain.status, audience(lt), scopeOf(lt))
	}
}

// TestResourceTokensAtIntrospectionUserinfoRevocation: introspection
// reports a resource token's aud and scope, userinfo accepts it, and
// revoking it works.
func TestResourceTokensAtIntrospectionUserinfoRevocation(t *testing.T) {
	srv := resourceProvider(t)
	p := newPKCE("i")
	tr := exchangeFor(t, srv, signInFor(t, srv, p, "openid profile orders.write", orders), p, orders)
	if tr.status != http.StatusOK {
		t.Fatalf("code exchange with resource: %d %s", tr.status, tr.Error)
	}
	in := introspection(t, srv, tr.AccessToken)
	aud, _ := in["aud"].([]any)
	if in["active"] != true || len(aud) != 1 || aud[0] != orders || in["scope"] != "orders.write" || in["client_id"] != clientID {
		t.Errorf("introspection %v, want active, aud [%s], scope orders.write, client_id %s", in, orders, clientID)
	}
	if resp, info := userinfo(t, srv, tr.AccessToken); resp.StatusCode != http.StatusOK || info["sub"] != "user-alice" || info["name"] != nil {
		t.Errorf("userinfo with a resource token: %s %v, want 200 with sub only (no profile scope in the token)", resp.Status, info)
	}
	if got := revoke(t, srv, tr.AccessToken, "access_token"); got != http.StatusOK {
		t.Fatalf("revoke resource access token: %d", got)
	}
	if introspect(t, srv, tr.AccessToken) {
		t.Error("revoked resource access token still active at introspection")
	}
	if resp, _ := userinfo(t, srv, tr.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo with a revoked resource token: %s, want 401", resp.Status)
	}
}

// TestAResourceTheGrantDidNotNameIsInvalidTarget: at the token endpoint
// (RFC 8707 §2.2) a resource the authorization request did not name, or more
// than one, is a 400 invalid_target that leaves the code and the refresh
// token usable.
func TestAResourceTheGrantDidNotNameIsInvalidTarget(t *testing.T) {
	srv := resourceProvider(t)
	p := newPKCE("t")
	code := signInFor(t, srv, p, "openid offline_access", orders)
	for _, res := range [][]string{{billing}, {unknown}, {orders, billing}, {""}} {
		if r := exchangeFor(t, srv, code, p, res...); r.status != http.StatusBadRequest || r.Error != "invalid_target" {
			t.Errorf("code exchange for %q: %d %q, want 400 invalid_target", res, r.status, r.Error)
		}
	}
	tr := exchange(t, srv, code, p.verifier)
	if tr.status != http.StatusOK {
		t.Fatalf("the code after the refusals: %d %s, want it still valid", tr.status, tr.Error)
	}

	for _, res := range []string{billing, unknown, orders + "/"} {
		if r := refreshFor(t, srv, tr.RefreshToken, res, ""); r.status != http.StatusBadRequest || r.Error != "invalid_target" {
			t.Errorf("refresh for %s: %d %q, want 400 invalid_target", res, r.status, r.Error)
		}
	}
	two := token(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken},
		"client_id": {clientID}, "resource": {orders, orders}})
	if two.status != http.StatusBadRequest || two.Error != "invalid_target" {
		t.Errorf("refresh naming two resources: %d %q, want 400 invalid_target", two.status, two.Error)
	}
	if r := refresh(t, srv, tr.RefreshToken); r.status != http.StatusOK {
		t.Errorf("the refresh token after the refusals: %d %s, want it still valid", r.status, r.Error)
	}

	// A grant that named no resource has none to ask for.
	q := newPKCE("w")
	none := exchange(t, srv, signInFor(t, srv, q, "openid offline_access"), q.verifier)
	if r := refreshFor(t, srv, none.RefreshToken, orders, ""); r.status != http.StatusBadRequest || r.Error != "invalid_target" {
		t.Errorf("refresh for %s of a grant without resources: %d %q, want 400 invalid_target", orders, r.status, r.Error)
	}
}

// TestAuthorizeRefusesBadResources: an unknown or malformed resource at the
// authorization endpoint goes back to the redirect URI as invalid_target
// with state and iss (RFC 8707 §2, RFC 6749 §4.1.2.1).
func TestAuthorizeRefusesBadResources(t *testing.T) {
	srv := resourceProvider(t)
	b := newBrowser(t, srv)
	for _, tc := range []struct {
		res  []string
		desc string
	}{
		{[]string{orders, unknown}, "not a resource this provider knows"},
		{[]string{"/api/orders"}, "not an absolute URI"},
		{[]string{orders + "#frag"}, "must not contain a fragment"},
		{[]string{""}, "not an absolute URI"},
	} {
		p := newPKCE("u")
		s := authorizeFor(b, p, "openid", nil, tc.res...)
		if s.response.Get("error") != "invalid_target" || s.response.Get("code") != "" ||
			s.response.Get("state") != authParams(p, "").Get("state") || s.response.Get("iss") != srv.Issuer() {
			t.Errorf("authorization with resources %q: %v, want invalid_target with state and iss", tc.res, s.response)
		}
		if d := s.response.Get("error_description"); !strings.Contains(d, tc.desc) {
			t.Errorf("authorization with resources %q: error_description %q, want it to say %q", tc.res, d, tc.desc)
		}
	}
	if s := authorizeFor(b, newPKCE("x"), "openid", nil, orders, orders); s.response.Get("code") == "" {
		t.Errorf("authorization naming a known resource twice: %v, want a code", s.response)
	}
}

// TestPromptNoneForOneResource is what the browser library does for an API
// route: a silent authorization request naming only that resource, then the
// code exchange for it.
func TestPromptNoneForOneResource(t *testing.T) {
	srv := resourceProvider(t)
	b := newBrowser(t, srv)
	if s := authorizeFor(b, newPKCE("y"), "openid orders.read", nil, orders, billing); s.response.Get("code") == "" {
		t.Fatalf("interactive sign-in: %v", s.response)
	}
	p := newPKCE("z")
	s := authorizeFor(b, p, "openid orders.read", []string{"prompt", "none"}, billing)
	if s.response.Get("code") == "" {
		t.Fatalf("prompt=none naming %s: %v, want a code", billing, s.response)
	}
	code := s.response.Get("code")
	if r := exchangeFor(t, srv, code, p, orders); r.Error != "invalid_target" {
		t.Errorf("exchange for %s, which the silent request did not name: %d %q, want invalid_target", orders, r.status, r.Error)
	}
	tr := exchangeFor(t, srv, code, p, billing)
	if tr.status != http.StatusOK {
		t.Fatalf("exchange for %s: %d %s", billing, tr.status, tr.Error)
	}
	if _, at := verify(t, jwks(t, srv), tr.AccessToken); !slices.Equal(audience(at), []string{billing}) {
		t.Errorf("aud %v, want [%s]", audience(at), billing)
	}
}

// TestRefreshScopeNarrowsButNeverWidens (RFC 6749 §6), with and without a
// resource; a refused scope leaves the refresh token usable.
func TestRefreshScopeNarrowsButNeverWidens(t *testing.T) {
	srv := resourceProvider(t)
	p := newPKCE("s")
	tr := exchange(t, srv, signInFor(t, srv, p, "openid profile offline_access orders.read orders.write", orders), p.verifier)
	set := jwks(t, srv)

	r := refreshFor(t, srv, tr.RefreshToken, orders, "openid orders.read")
	if r.status != http.StatusOK {
		t.Fatalf("narrowed refresh for %s: %d %s", orders, r.status, r.Error)
	}
	if _, c := verify(t, set, r.AccessToken); !slices.Equal(scopeOf(c), []string{"orders.read"}) || r.Scope != "orders.read" {
		t.Errorf("narrowed token scope %v, answer %q, want orders.read", scopeOf(c), r.Scope)
	}

	n := refreshFor(t, srv, r.RefreshToken, "", "openid profile")
	if _, c := verify(t, set, n.AccessToken); n.status != http.StatusOK || strings.Join(scopeOf(c), " ") != "openid profile" ||
		!slices.Equal(audience(c), []string{clientID}) {
		t.Fatalf("narrowed refresh without resource: %d %q, scope %v aud %v", n.status, n.Error, scopeOf(c), audience(c))
	}
	// The family keeps the grant's scope: the next refresh may ask for it all.
	full := refreshFor(t, srv, n.RefreshToken, orders, "")
	if _, c := verify(t, set, full.AccessToken); full.status != http.StatusOK || strings.Join(scopeOf(c), " ") != "orders.read orders.write" {
		t.Fatalf("refresh after narrowing: %d %q, scope %v, want the grant's orders scopes", full.status, full.Error, scopeOf(c))
	}

	for _, tc := range []struct{ resource, scope, want string }{
		{orders, "orders.read email", "invalid_scope"}, // wider than the grant
		{"", "orders.read email", "invalid_scope"},
		{orders, "openid profile", "invalid_scope"}, // nothing orders takes
	} {
		w := refreshFor(t, srv, full.RefreshToken, tc.resource, tc.scope)
		if w.status != http.StatusBadRequest || w.Error != tc.want {
			t.Errorf("refresh for %q with scope %q: %d %q, want 400 %s", tc.resource, tc.scope, w.status, w.Error, tc.want)
		}
	}
	if r := refreshFor(t, srv, full.RefreshToken, orders, ""); r.status != http.StatusOK {
		t.Errorf("the refresh token after the refused scopes: %d %s, want it still valid", r.status, r.Error)
	}
}

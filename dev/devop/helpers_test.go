package devop_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

const (
	spaOrigin   = "http://localhost:8080"
	redirectURI = spaOrigin + "/callback"
	logoutURI   = spaOrigin + "/"
	clientID    = "spa"
)

// start runs a provider on a random loopback port for the test.
func start(t *testing.T, cfg devop.Config) *devop.Server {
	t.Helper()
	if cfg.Clients == nil {
		cfg.Clients = []devop.Client{{ID: clientID, RedirectURIs: []string{redirectURI},
			PostLogoutRedirectURIs: []string{logoutURI}}}
	}
	srv, err := devop.Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// browser is a cookie-keeping HTTP client that does not follow redirects
// away from the provider, so tests see the authorization response.
type browser struct {
	t      *testing.T
	srv    *devop.Server
	client *http.Client
}

func newBrowser(t *testing.T, srv *devop.Server) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, srv: srv, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// pkce is an RFC 7636 S256 verifier and challenge.
type pkce struct{ verifier, challenge string }

func newPKCE(seed string) pkce {
	v := base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat(seed, 43)))[:43]
	sum := sha256.Sum256([]byte(v))
	return pkce{v, base64.RawURLEncoding.EncodeToString(sum[:])}
}

// authParams returns a code+PKCE authorization request for the test client.
func authParams(p pkce, scope string, extra ...string) url.Values {
	v := url.Values{
		"client_id": {clientID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"scope": {scope}, "state": {"st-" + p.verifier[:6]}, "nonce": {"n-" + p.verifier[:6]},
		"code_challenge": {p.challenge}, "code_challenge_method": {"S256"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

// step is the outcome of an authorization request: either the provider's
// login page, or the authorization response sent to the redirect URI.
type step struct {
	status   int
	page     string     // login page HTML
	response url.Values // query of the redirect to the client
	location string
}

// authorize sends an authorization request and follows redirects within
// the provider.
func (b *browser) authorize(params url.Values) step {
	b.t.Helper()
	return b.follow(b.get(b.srv.Issuer() + "/authorize?" + params.Encode()))
}

func (b *browser) get(u string) *http.Response {
	b.t.Helper()
	resp, err := b.client.Get(u)
	if err != nil {
		b.t.Fatalf("GET: %v", err)
	}
	return resp
}

func (b *browser) follow(resp *http.Response) step {
	b.t.Helper()
	for {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode >= 400 {
			return step{status: resp.StatusCode, page: string(body)}
		}
		if !strings.HasPrefix(loc, b.srv.Issuer()+"/") {
			u, err := url.Parse(loc)
			if err != nil {
				b.t.Fatalf("Location %q: %v", loc, err)
			}
			params := u.Query()
			if f, _ := url.ParseQuery(u.Fragment); f.Has("code") || f.Has("error") {
				params = f // response_mode=fragment
			}
			return step{status: resp.StatusCode, response: params, location: loc}
		}
		resp = b.get(loc)
	}
}

var authRequestIDField = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)

// login submits the login form shown in page.
func (b *browser) login(page, username, password string) step {
	b.t.Helper()
	m := authRequestIDField.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no login form in page:\n%s", page)
	}
	resp, err := b.client.PostForm(b.srv.Issuer()+"/login", url.Values{
		"authRequestID": {m[1]}, "username": {username}, "password": {password}})
	if err != nil {
		b.t.Fatalf("POST /login: %v", err)
	}
	return b.follow(resp)
}

// signIn runs a whole interactive authorization and returns its code.
func (b *browser) signIn(p pkce, scope, user string) string {
	b.t.Helper()
	s := b.authorize(authParams(p, scope))
	if s.response == nil {
		s = b.login(s.page, user, user)
	}
	code := s.response.Get("code")
	if code == "" {
		b.t.Fatalf("no code in authorization response %v", s.response)
	}
	return code
}

// tokenResponse is RFC 6749 §5.1 / §5.2.
type tokenResponse struct {
	status       int
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	Error        string `json:"error"`
}

// postForm posts a form to a provider path with an optional Origin.
func postForm(t *testing.T, srv *devop.Server, path string, form url.Values) *http.Response {
	t.Helper()
	resp, err := http.PostForm(srv.Issuer()+path, form)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return resp
}

func token(t *testing.T, srv *devop.Server, form url.Values) tokenResponse {
	t.Helper()
	resp := postForm(t, srv, "/oauth/token", form)
	defer resp.Body.Close()
	var tr tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatalf("token response: %v", err)
	}
	tr.status = resp.StatusCode
	return tr
}

func exchange(t *testing.T, srv *devop.Server, code, verifier string) tokenResponse {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "client_id": {clientID}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return token(t, srv, form)
}

func refresh(t *testing.T, srv *devop.Server, rt string) tokenResponse {
	t.Helper()
	return token(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}})
}

// jwks fetches the provider's key set.
func jwks(t *testing.T, srv *devop.Server) jose.JSONWebKeySet {
	t.Helper()
	var set jose.JSONWebKeySet
	getJSON(t, srv.Issuer()+"/keys", &set)
	return set
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// verify checks a JWT's RS256 signature against set and returns its kid and
// claims.
func verify(t *testing.T, set jose.JSONWebKeySet, jwt string) (string, map[string]any) {
	t.Helper()
	jws, err := jose.ParseSigned(jwt, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse JWT: %v", err)
	}
	kid := jws.Signatures[0].Header.KeyID
	keys := set.Key(kid)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in JWKS", kid, len(keys))
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return kid, claims
}

// audience returns the aud claim as a list (RFC 7519 §4.1.3).
func audience(claims map[string]any) []string {
	switch a := claims["aud"].(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

// userinfo calls the userinfo endpoint with a bearer token.
func userinfo(t *testing.T, srv *devop.Server, accessToken string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.Issuer()+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp, m
}

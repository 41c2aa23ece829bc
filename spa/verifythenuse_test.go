package spa_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

// A token answer that fails a check: the ID token of the answer is changed
// (re-signed with the provider's own key where the change is a claim, so only
// the one check can catch it).
var answerFaults = []struct {
	name string
	code string // the code the flow must fail with
	edit func(e *env, claims map[string]any) (resign bool)
}{
	{"bad signature", spa.CodeInvalidIDToken, func(*env, map[string]any) bool { return false }},
	{"at_hash mismatch", spa.CodeInvalidIDToken, func(_ *env, c map[string]any) bool {
		c["at_hash"] = ath("another access token")[:22] // a left half, as §3.1.3.8 makes it
		return true
	}},
	{"wrong nonce", spa.CodeNonceMismatch, func(_ *env, c map[string]any) bool { c["nonce"] = "forged"; return true }},
	{"wrong iss", spa.CodeIssMismatch, func(_ *env, c map[string]any) bool { c["iss"] = "https://evil.example"; return true }},
	{"wrong aud", spa.CodeInvalidIDToken, func(_ *env, c map[string]any) bool { c["aud"] = "another-client"; return true }},
}

// A path by which a token answer reaches the Manager: prepare signs in when the
// path renews a session; run is the flow that receives the changed answer;
// grant is the token request whose answer is changed.
type tokenPath struct {
	name    string
	config  func() spa.Config
	grant   string
	nonce   bool // the request carries a nonce, so a wrong nonce is a check
	route   string
	prepare func(e *env, m *spa.Manager)
	run     func(ctx context.Context, e *env, m *spa.Manager) error
}

func noRefresh(c spa.Config) spa.Config {
	c.Scope = strings.ReplaceAll(c.Scope, " offline_access", "")
	return c
}

var tokenPaths = []tokenPath{
	{name: "code exchange (redirect)", config: func() spa.Config { return cfg("a") }, grant: "authorization_code", nonce: true,
		route: "https://api.example/a/x",
		run: func(ctx context.Context, e *env, m *spa.Manager) error {
			_, err := e.op.Login(ctx, m, "a")
			return err
		}},
	{name: "code exchange (redirect, DPoP)", config: func() spa.Config { return dpopCfg("a") }, grant: "authorization_code", nonce: true,
		route: "https://api.example/a/x",
		run: func(ctx context.Context, e *env, m *spa.Manager) error {
			_, err := e.op.Login(ctx, m, "a")
			return err
		}},
	{name: "code exchange (popup)", config: func() spa.Config { return cfg("a") }, grant: "authorization_code", nonce: true,
		route: "https://api.example/a/x",
		run: func(ctx context.Context, e *env, m *spa.Manager) error {
			req, err := m.AuthorizePopup(ctx, "a", spa.AuthorizeOptions{})
			if err != nil {
				return err
			}
			back, err := e.op.Authorize(req.URL)
			if err != nil {
				return err
			}
			_, err = m.Complete(ctx, req, back)
			return err
		}},
	{name: "refresh grant", config: func() spa.Config { return cfg("a") }, grant: "refresh_token",
		route: "https://api.example/a/x", prepare: signIn,
		run: func(ctx context.Context, e *env, m *spa.Manager) error {
			_, err := m.Renew(ctx, "a")
			return err
		}},
	{name: "iframe renewal", config: func() spa.Config { return noRefresh(cfg("a")) }, grant: "authorization_code", nonce: true,
		route: "https://api.example/a/x", prepare: signIn,
		run: func(ctx context.Context, e *env, m *spa.Manager) error {
			_, err := m.Renew(ctx, "a")
			return err
		}},
	{name: "per-API token (refresh grant)", config: apiConfig, grant: "refresh_token",
		route: "https://orders.example/api/x", prepare: signIn,
		run: func(ctx context.Context, e *env, m *spa.Manager) error {
			_, err := m.AccessTokenFor(ctx, "a", spa.TokenOptions{Resource: orders, Scope: "orders.read"})
			return err
		}},
	{name: "per-API token (iframe)", config: func() spa.Config { return noRefresh(apiConfig()) }, grant: "authorization_code", nonce: true,
		route: "https://orders.example/api/x", prepare: signIn,
		run: func(ctx context.Context, e *env, m *spa.Manager) error {
			_, err := m.RenewTokenFor(ctx, "a", spa.TokenOptions{Resource: orders, Scope: "orders.read"})
			return err
		}},
}

func signIn(e *env, m *spa.Manager) {
	e.t.Helper()
	if _, err := e.op.Login(context.Background(), m, "a"); err != nil {
		e.t.Fatalf("signing in first: %v", err)
	}
}

// sentRequests records what the provider and the APIs received through a
// Manager's Fetcher.
type sentRequests struct {
	mu  sync.Mutex
	all []spa.Request
}

// carrying lists the requests that carried token; the caller holds s.mu.
func (s *sentRequests) carrying(token string) []string {
	var out []string
	for _, r := range s.all {
		proof := ""
		if p := r.Header.Get("DPoP"); p != "" {
			if parts := strings.Split(p, "."); len(parts) == 3 {
				b, _ := base64.RawURLEncoding.DecodeString(parts[1])
				proof = string(b)
			}
		}
		if strings.Contains(r.URL, token) || strings.Contains(r.Header.Get("Authorization"), token) ||
			strings.Contains(string(r.Body), token) || strings.Contains(proof, ath(token)) {
			out = append(out, r.Method+" "+r.URL)
		}
	}
	return out
}

// TestNoTokenOfAnAnswerThatFailsACheckIsSentAnywhere: for every path that
// receives tokens and every check on the answer, the answer's access and
// refresh tokens reach no server (userinfo, an API behind a secure route,
// revocation, a DPoP proof's ath) and are not stored: verify, then use
// (README, "Verification"). The row without a fault is the control: there
// the same flow does send the new token to userinfo or the route.
func TestNoTokenOfAnAnswerThatFailsACheckIsSentAnywhere(t *testing.T) {
	type fault = struct {
		name string
		code string
		edit func(e *env, claims map[string]any) (resign bool)
	}
	for _, path := range tokenPaths {
		for _, f := range append([]fault{{name: "none"}}, answerFaults...) {
			if f.name == "wrong nonce" && !path.nonce {
				continue // a refresh carries no nonce to compare (OpenID Connect Core §12.2)
			}
			t.Run(path.name+"/"+f.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					// A check that fails before the keys arrive leaves their
					// fetch running: let it end inside the bubble.
					defer func() { time.Sleep(time.Second); synctest.Wait() }()
					e := newEnv(t)
					c := path.config()
					if c.DPoP {
						e.op.RequireDPoP("")
					}
					var sent sentRequests
					armed := false
					var issued []string // the tokens of the changed answer
					inner := e.op.Fetcher()
					recording := false // armed or fired
					renewer := &frameRenewer{op: e.op}
					m := e.managerWith(spa.Options{Renewer: renewer, Fetcher: spa.FetcherFunc(func(ctx context.Context, req *spa.Request) (*spa.Response, error) {
						sent.mu.Lock()
						defer sent.mu.Unlock()
						if recording {
							sent.all = append(sent.all, spa.Request{Method: req.Method, URL: req.URL, Header: req.Header.Clone(), Body: req.Body})
						}
						slow := recording && strings.HasSuffix(req.URL, "/jwks")
						sent.mu.Unlock()
						if slow {
							// The keys take a while (in the bubble's time): a
							// request that does not wait for the verification
							// goes out meanwhile.
							time.Sleep(50 * time.Millisecond)
						}
						resp, err := inner.Fetch(ctx, req)
						sent.mu.Lock()
						if err != nil || !armed || !strings.HasSuffix(req.URL, "/token") || !strings.Contains(string(req.Body), "grant_type="+path.grant) {
							return resp, err
						}
						armed = false // one answer only; later requests are still recorded
						var body map[string]any
						if err := json.Unmarshal(resp.Body, &body); err != nil {
							t.Fatal(err)
						}
						for _, k := range []string{"access_token", "refresh_token"} {
							if s, _ := body[k].(string); s != "" {
								issued = append(issued, s)
							}
						}
						if f.edit != nil {
							body["id_token"] = e.changeIDToken(body["id_token"].(string), f.edit)
						}
						resp.Body, _ = json.Marshal(body)
						return resp, nil
					})}, c)
					ctx := context.Background()
					if path.prepare != nil {
						path.prepare(e, m)
					}
					// The answer is signed by a key the Manager has not seen, so
					// every path fetches the JWKS before it can verify.
					e.op.Keys().RotateKey()
					userinfo := e.op.Requests("/userinfo")
					sent.mu.Lock()
					armed, recording = true, true
					sent.mu.Unlock()
					err := path.run(ctx, e, m)
					sent.mu.Lock()
					fired := !armed
					sent.mu.Unlock()
					if !fired {
						t.Fatalf("the flow made no %s token request", path.grant)
					}
					if len(issued) == 0 {
						t.Fatal("the answer carried no token")
					}
					// Use the secure route as an app would.
					r, ok := m.MatchRequest(path.route, http.MethodGet, nil)
					if !ok {
						t.Fatalf("%s matches no route", path.route)
					}
					routeToken, routeOK, _ := m.RouteToken(ctx, r, false)
					if f.edit == nil {
						if err != nil {
							t.Fatalf("without a fault the flow failed: %v", err)
						}
						if routeToken != issued[0] || !routeOK {
							t.Errorf("the route gets %q, want the new token", routeToken)
						}
						if path.grant == "authorization_code" && !strings.Contains(path.name, "per-API") && e.op.Requests("/userinfo") == userinfo {
							t.Error("the control sent nothing to userinfo: the recorder would see nothing either")
						}
						return
					}
					wantCode(t, err, f.code)
					if n := e.op.Requests("/userinfo") - userinfo; n != 0 {
						t.Errorf("userinfo received %d requests after the refused answer", n)
					}
					sent.mu.Lock()
					defer sent.mu.Unlock()
					for _, tok := range issued {
						if got := sent.carrying(tok); len(got) > 0 {
							t.Errorf("a token of the refused answer was sent to %v", got)
						}
						if routeToken == tok {
							t.Errorf("the secure route %s gets a token of the refused answer", path.route)
						}
						for name, st := range e.stores {
							for _, k := range st.Keys("") {
								if v, _ := st.Get(k); strings.Contains(v, tok) {
									t.Errorf("%s storage %q holds a token of the refused answer", name, k)
								}
							}
						}
					}
				})
			})
		}
	}
}

// changeIDToken returns raw with edit applied to its claims, signed again by
// the provider's key when edit says so; otherwise with its signature changed.
func (e *env) changeIDToken(raw string, edit func(e *env, claims map[string]any) bool) string {
	e.t.Helper()
	parts := strings.Split(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		e.t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		e.t.Fatal(err)
	}
	if edit(e, claims) {
		return e.op.Keys().Sign(claims)
	}
	sig := []byte(parts[2]) // another signature of the same length
	if sig[5] == 'A' {
		sig[5] = 'B'
	} else {
		sig[5] = 'A'
	}
	return parts[0] + "." + parts[1] + "." + string(sig)
}

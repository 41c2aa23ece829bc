package spa_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/spa"
)

func dpopCfg(id string) spa.Config {
	c := cfg(id)
	c.DPoP = true
	return c
}

func ath(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Every request to the provider carries a proof with the claims of RFC 9449
// §4.2, signed by one key, and the tokens come back bound to it.
func TestDPoPProofAtEveryProviderEndpoint(t *testing.T) {
	e := newEnv(t, dpopCfg("a"))
	e.op.RequireDPoP("")
	ctx := context.Background()
	s := e.login("a")
	e.clk.Advance(9 * 60 * 1e9) // past the renewal point
	s2, err := e.m.Renew(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.m.Revoke(ctx, "a", spa.HintAccessToken, ""); err != nil {
		t.Fatal(err)
	}
	proofs := e.op.Proofs()
	var paths []string
	for _, p := range proofs {
		paths = append(paths, p.Path)
	}
	if got := strings.Join(paths, " "); got != "/token /userinfo /token /revoke" {
		t.Fatalf("proofs went to %q, want the code exchange, userinfo, the refresh and the revocation", got)
	}
	jtis := map[string]bool{}
	for i, p := range proofs {
		c := p.Claims
		wantHTM := map[string]string{"/token": "POST", "/userinfo": "GET", "/revoke": "POST"}[p.Path]
		wantATH := ""
		if p.Path == "/userinfo" {
			wantATH = ath(s.AccessToken)
		}
		for _, tt := range []struct {
			name      string
			got, want any
		}{
			{"typ", p.Header["typ"], "dpop+jwt"},
			{"alg", p.Header["alg"], "ES256"},
			{"jwk.kty", p.Header["jwk"].(map[string]any)["kty"], "EC"},
			{"jwk.crv", p.Header["jwk"].(map[string]any)["crv"], "P-256"},
			{"jwk has no d", p.Header["jwk"].(map[string]any)["d"], nil},
			{"the same key", p.JKT, proofs[0].JKT},
			{"htm", c["htm"], wantHTM},
			{"htu", c["htu"], fakeop.Issuer + p.Path},
			{"nonce", c["nonce"], nil},
			{"ath", c["ath"], map[bool]any{true: wantATH, false: nil}[wantATH != ""]},
		} {
			if tt.got != tt.want {
				t.Errorf("proof %d (%s): %s = %v, want %v", i, p.Path, tt.name, tt.got, tt.want)
			}
		}
		if iat, _ := c["iat"].(float64); int64(iat) != e.clk.Now().Unix() && int64(iat) != e.clk.Now().Add(-9*60*1e9).Unix() {
			t.Errorf("proof %d: iat %v is not the clock's time", i, c["iat"])
		}
		jti, _ := c["jti"].(string)
		if len(jti) < 16 || jtis[jti] {
			t.Errorf("proof %d: jti %q is short or repeated", i, jti)
		}
		jtis[jti] = true
	}
	// A secure-route request: "DPoP <token>" and a proof the OP accepts as a
	// resource server would (htu without the query, ath of the token).
	target := "https://API.example:443/a/./x?q=1#f"
	m, _ := e.m.MatchRequest(target, "PATCH", nil)
	h, ok, err := e.m.RouteHeaders(ctx, m, "PATCH", target, false)
	if err != nil || !ok {
		t.Fatalf("RouteHeaders: %v %v", ok, err)
	}
	tok, _ := strings.CutPrefix(h.Authorization, "DPoP ")
	if tok == h.Authorization || tok == "" || tok == s2.AccessToken { // s2's was revoked: a new one
		t.Fatalf("Authorization %q is not a DPoP token", strings.Fields(h.Authorization)[0])
	}
	if _, err := e.op.CheckProof(h.DPoP, "PATCH", "https://api.example/a/x", tok); err != nil {
		t.Errorf("the resource's proof does not verify: %v", err)
	}
}

// A proof's htu is the URL without query and fragment, normalised as the
// server compares it (RFC 9449 §4.2, §4.3; RFC 3986 §6.2.2, §6.2.3).
func TestDPoPProofHTU(t *testing.T) {
	c := dpopCfg("a")
	c.SecureRoutes = append(c.SecureRoutes, spa.Route{URL: "http://localhost/a"}, spa.Route{URL: "http://localhost:8080/a"})
	e := newEnv(t, c)
	e.op.RequireDPoP("")
	e.login("a")
	for _, tt := range []struct{ target, want string }{
		{"https://api.example/a/x?q=1", "https://api.example/a/x"},
		{"https://api.example/a/x#frag", "https://api.example/a/x"},
		{"HTTPS://API.EXAMPLE/a/x", "https://api.example/a/x"},
		{"https://api.example:443/a/x", "https://api.example/a/x"},
		{"https://api.example/a/b/../x", "https://api.example/a/x"},
		{"https://api.example/a/%7Ex", "https://api.example/a/%7Ex"},
		{"http://localhost:80/a/x", "http://localhost/a/x"},
		{"HTTP://LOCALHOST/a/x", "http://localhost/a/x"},
		{"http://localhost:8080/a/x", "http://localhost:8080/a/x"},
	} {
		m, ok := e.m.MatchRequest(tt.target, "GET", nil)
		if !ok {
			t.Fatalf("%s is not a secure route", tt.target)
		}
		h, _, err := e.m.RouteHeaders(context.Background(), m, "GET", tt.target, false)
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.op.CheckProof(h.DPoP, "GET", tt.want, strings.TrimPrefix(h.Authorization, "DPoP "))
		if err != nil {
			t.Errorf("%s: %v", tt.target, err)
		}
		// The server normalises both sides (§4.3 check 9); the proof itself
		// must already be in normal form, for servers that compare strings.
		if p.Claims["htu"] != tt.want {
			t.Errorf("%s: htu %v, want %s", tt.target, p.Claims["htu"], tt.want)
		}
	}
}

// use_dpop_nonce (RFC 9449 §8) is answered once with the nonce given, and
// the nonce is then sent with every proof to that server.
func TestDPoPNonceAtTheTokenEndpoint(t *testing.T) {
	e := newEnv(t, dpopCfg("a"))
	e.op.RequireDPoP("n-1")
	e.login("a")
	var nonces []any
	for _, p := range e.op.Proofs() {
		if p.Path == "/token" {
			nonces = append(nonces, p.Claims["nonce"])
		}
	}
	if len(nonces) != 2 || nonces[0] != nil || nonces[1] != "n-1" {
		t.Fatalf("token endpoint proofs carried nonces %v, want none and then n-1", nonces)
	}
	// userinfo came after: the nonce of that server from the start.
	if ps := e.op.Proofs(); ps[len(ps)-1].Path != "/userinfo" || ps[len(ps)-1].Claims["nonce"] != "n-1" {
		t.Errorf("userinfo's proof: %v, want nonce n-1 at once", ps[len(ps)-1].Claims)
	}
}

// A server that asks for a new nonce every time gets two requests, not a loop.
func TestDPoPNonceIsRetriedOnceNotTwice(t *testing.T) {
	e := newEnv(t, dpopCfg("a"))
	n := 0
	e.op.Handle("POST /token", func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("DPoP-Nonce", "n-"+strconv.Itoa(n))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"use_dpop_nonce"}`))
	})
	u, err := e.m.Authorize(context.Background(), "a", spa.AuthorizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	back, _ := e.op.Authorize(u)
	cb, err := e.m.ValidateCallback(context.Background(), back)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.m.Exchange(context.Background(), cb)
	wantCode(t, err, "use_dpop_nonce")
	if n != 2 {
		t.Errorf("the token endpoint got %d requests, want 2 (one retry)", n)
	}
	if s, _ := e.m.Session("a"); s != nil {
		t.Error("a session was stored")
	}
}

// A provider that answers a proof with a Bearer token did not bind it.
func TestDPoPRequiresADPoPToken(t *testing.T) {
	e := newEnv(t, dpopCfg("a"))
	e.op.RequireDPoP("")
	e.op.SetDPoPTokenType("Bearer")
	_, err := e.op.Login(context.Background(), e.m, "a")
	wantCode(t, err, spa.CodeInvalidResponse)
	if s, _ := e.m.Session("a"); s != nil {
		t.Error("a session was stored")
	}
	// And a Bearer config refuses a DPoP token.
	e2 := newEnv(t, cfg("a"))
	e2.op.RequireDPoP("")
	e2.op.Handle("POST /token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"at","token_type":"DPoP","id_token":"x"}`))
	})
	_, err = e2.op.Login(context.Background(), e2.m, "a")
	if spa.ErrorCode(err) == "" {
		t.Fatal("a Bearer config took a DPoP answer")
	}
}

// A resource's use_dpop_nonce (RFC 9449 §9) says "send once more", with the
// nonce kept for that server only; the same nonce again is not a reason.
func TestDPoPNonceOfAResource(t *testing.T) {
	e := newEnv(t, dpopCfg("a"), cfg("b"))
	e.op.RequireDPoP("")
	e.login("a")
	ctx := context.Background()
	target := "https://api.example/a/x"
	ask := &spa.Response{Status: http.StatusUnauthorized, Header: http.Header{
		"Www-Authenticate": {`DPoP error="use_dpop_nonce", error_description="nonce"`}, "Dpop-Nonce": {"r-1"}}}
	if got := e.m.RouteAnswer("a", target, ask); got != spa.AnswerNonce {
		t.Fatalf("RouteAnswer(use_dpop_nonce) = %q, want nonce", got)
	}
	m, _ := e.m.MatchRequest(target, "GET", nil)
	h, _, err := e.m.RouteHeaders(ctx, m, "GET", target, false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.op.CheckProof(h.DPoP, "GET", target, strings.TrimPrefix(h.Authorization, "DPoP "))
	if err != nil || p.Claims["nonce"] != "r-1" {
		t.Fatalf("the retry's proof: nonce %v, err %v; want r-1", p.Claims["nonce"], err)
	}
	if got := e.m.RouteAnswer("a", target, ask); got != spa.AnswerDone {
		t.Errorf("the same nonce again: RouteAnswer = %q, want done", got)
	}
	if got := e.m.RouteAnswer("b", "https://api.example/b", ask); got != spa.AnswerDone {
		t.Errorf("a Bearer config: RouteAnswer = %q, want done", got)
	}
	// The resource's nonce is not the provider's.
	e.clk.Advance(9 * 60 * 1e9)
	if _, err := e.m.Renew(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	ps := e.op.Proofs()
	if last := ps[len(ps)-1]; last.Path != "/token" || last.Claims["nonce"] != nil {
		t.Errorf("the refresh's proof carries nonce %v, want none (r-1 is the API's)", last.Claims["nonce"])
	}
	refused := &spa.Response{Status: http.StatusUnauthorized, Header: http.Header{"Www-Authenticate": {`DPoP error="invalid_token"`}}}
	if got := e.m.RouteAnswer("a", target, refused); got != spa.AnswerRenew {
		t.Errorf("DPoP invalid_token: RouteAnswer = %q, want renew", got)
	}
}

// The key ends with the session: the next sign-in proves another key.
func TestDPoPKeyIsDeletedAtLogoff(t *testing.T) {
	keys := spa.NewMemoryDPoPKeys()
	e := newEnv(t)
	e.m = spa.NewManager(spa.Options{Fetcher: e.op.Fetcher(), Stores: e.stores, Clock: e.clk, DPoP: spa.NewDPoP(keys)})
	if err := e.m.Configure(context.Background(), []spa.Config{dpopCfg("a")}); err != nil {
		t.Fatal(err)
	}
	e.op.RequireDPoP("")
	e.login("a")
	first := e.op.Proofs()[0].JKT
	if err := e.m.LogoffLocal("a"); err != nil {
		t.Fatal(err)
	}
	e.login("a")
	ps := e.op.Proofs()
	if last := ps[len(ps)-1].JKT; last == first {
		t.Error("the second sign-in proved the first sign-in's key: it was not deleted at logoff")
	}
}

// A Bearer config sends no proof anywhere.
func TestBearerConfigSendsNoProof(t *testing.T) {
	e := newEnv(t)
	e.login("a")
	m, _ := e.m.MatchRequest("https://api.example/a", "GET", nil)
	h, _, err := e.m.RouteHeaders(context.Background(), m, "GET", "https://api.example/a", false)
	if err != nil || h.DPoP != "" || !strings.HasPrefix(h.Authorization, "Bearer ") {
		t.Fatalf("RouteHeaders = %q (proof %v), %v; want Bearer and no proof", strings.Fields(h.Authorization)[0], h.DPoP != "", err)
	}
}

// PAR (RFC 9126): the parameters go to the endpoint, the browser only gets
// client_id and request_uri, and the sign-in completes.
func TestPushedAuthorizationRequest(t *testing.T) {
	c := cfg("a")
	c.UsePushedAuthorisationRequests = true
	c.SecureRoutes = []spa.Route{{URL: "https://api.example/a", Resource: "https://api.example/a"}}
	e := newEnv(t, c)
	raw, err := e.m.Authorize(context.Background(), "a", spa.AuthorizeOptions{LoginHint: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if len(q) != 2 || q.Get("client_id") != "client-a" || !strings.HasPrefix(q.Get("request_uri"), "urn:ietf:params:oauth:request_uri:") {
		t.Fatalf("the navigation carries %v, want client_id and request_uri only", q)
	}
	pushes := e.op.Pushes()
	if len(pushes) != 1 {
		t.Fatalf("%d pushed requests, want 1", len(pushes))
	}
	p := pushes[0]
	for k, want := range map[string]string{"client_id": "client-a", "response_type": "code", "redirect_uri": "https://app.example/cb",
		"code_challenge_method": "S256", "login_hint": "alice", "resource": "https://api.example/a", "scope": "openid profile offline_access"} {
		if p.Get(k) != want {
			t.Errorf("pushed %s = %q, want %q", k, p.Get(k), want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(p.Get(k)) < 43 {
			t.Errorf("pushed %s = %q, want the transaction's", k, p.Get(k))
		}
	}
	back, err := e.op.Authorize(raw)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := e.m.ValidateCallback(context.Background(), back)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Exchange(context.Background(), cb); err != nil {
		t.Fatal(err)
	}
}

// require_pushed_authorization_requests turns PAR on for every request,
// the iframe's too; an expired request_uri comes back as the provider's
// invalid_request_uri.
func TestPushedAuthorizationRequiredByTheProvider(t *testing.T) {
	e := newEnv(t, cfg("a"))
	e.op.RequirePAR()
	// A new Manager reads discovery again (the first one cached it).
	e.stores[spa.StorageSession] = spa.NewMemoryStore()
	e.m = e.manager()
	if err := e.m.Configure(context.Background(), []spa.Config{cfg("a")}); err != nil {
		t.Fatal(err)
	}
	f := e.withFrame(noRefresh(cfg("a")))
	e.login("a")
	f.answer = func(req spa.AuthRequest) (string, error) {
		u, _ := url.Parse(req.URL)
		if q := u.Query(); len(q) != 2 || q.Get("request_uri") == "" || q.Get("client_id") == "" {
			t.Errorf("the iframe navigates with %v, want client_id and request_uri only", q)
		}
		if req.State == "" {
			t.Error("the silent request carries no state to check its answer against")
		}
		e.op.ExpirePushed()
		return e.op.Authorize(req.URL)
	}
	pushes := len(e.op.Pushes())
	_, err := e.m.Renew(context.Background(), "a")
	wantCode(t, err, "invalid_request_uri")
	if p := e.op.Pushes(); len(p) != pushes+1 || p[pushes].Get("prompt") != "none" {
		t.Fatalf("pushed %v, want one more request, with prompt=none", p)
	}
}

// PAR asked for of a provider without the endpoint is a configure error
// that names the field.
func TestPushedAuthorizationWithoutEndpoint(t *testing.T) {
	e := newEnv(t)
	e.op.Handle("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"issuer":"` + fakeop.Issuer + `","authorization_endpoint":"` + fakeop.Issuer + `/authorize","token_endpoint":"` +
			fakeop.Issuer + `/token","jwks_uri":"` + fakeop.Issuer + `/jwks"}`))
	})
	c := cfg("z")
	c.UsePushedAuthorisationRequests = true
	err := e.manager().Configure(context.Background(), []spa.Config{c})
	wantCode(t, err, spa.CodeUnsupported)
	if f := err.(*spa.Error).Field; f != "usePushedAuthorisationRequests" {
		t.Errorf("field %q, want usePushedAuthorisationRequests", f)
	}
}

// RouteProof answers at once only when it can: a fresh token, a DPoP
// config, its key loaded; its input signed by the key is a proof the
// resource accepts.
func TestRouteProofAnswersAtOnceOnlyWhenItCan(t *testing.T) {
	e := newEnv(t, dpopCfg("a"), cfg("b"))
	e.login("b") // the fake OP wants proofs of everyone once DPoP is on
	e.op.RequireDPoP("")
	e.login("a")
	ctx := context.Background()
	target := "https://api.example/a/x?q=1"
	m, _ := e.m.MatchRequest(target, "POST", nil)
	auth, input, key, ok := e.m.RouteProof(m, "POST", target)
	if !ok {
		t.Fatal("RouteProof with a fresh token and a loaded key: not ok")
	}
	sig, err := key.Sign(ctx, []byte(input))
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimPrefix(auth, "DPoP ")
	if _, err := e.op.CheckProof(input+"."+base64.RawURLEncoding.EncodeToString(sig), "POST", "https://api.example/a/x", tok); err != nil || tok == auth {
		t.Fatalf("the proof made of RouteProof's input: %v (auth scheme %q)", err, strings.Fields(auth)[0])
	}
	mb, _ := e.m.MatchRequest("https://api.example/b", "GET", nil)
	if _, _, _, ok := e.m.RouteProof(mb, "GET", "https://api.example/b"); ok {
		t.Error("RouteProof for a Bearer config: ok")
	}
	e.clk.Advance(8 * 60 * 1e9) // past the renewal point (10 min tokens, 0.75)
	if _, _, _, ok := e.m.RouteProof(m, "POST", target); ok {
		t.Error("RouteProof with a token to renew: ok, want RouteHeaders to renew first")
	}
	// A reload: the session is there, the key not loaded yet.
	e.clk.Advance(-8 * 60 * 1e9)
	m2 := e.manager()
	if err := m2.Configure(ctx, []spa.Config{dpopCfg("a"), cfg("b")}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok := m2.RouteProof(m, "POST", target); ok {
		t.Error("RouteProof before the key was loaded: ok")
	}
}

// heldKeys holds one Key lookup, once armed, after the store answered: a
// lookup slow to come back (IndexedDB) while the session ends.
type heldKeys struct {
	*spa.MemoryDPoPKeys
	mu              sync.Mutex
	looked, release chan struct{}
}

func (k *heldKeys) Key(ctx context.Context, id string) (spa.DPoPKey, error) {
	key, err := k.MemoryDPoPKeys.Key(ctx, id)
	k.mu.Lock()
	looked, release := k.looked, k.release
	k.looked = nil
	k.mu.Unlock()
	if looked != nil {
		close(looked)
		<-release
	}
	return key, err
}

// A key lookup in flight when the session ends must not bring the dead key
// back: neither the proof it was for nor the next sign-in is signed with it.
func TestDPoPKeyLookupDuringLogoffDoesNotRevive(t *testing.T) {
	keys := &heldKeys{MemoryDPoPKeys: spa.NewMemoryDPoPKeys()}
	e := newEnv(t)
	newManager := func() *spa.Manager {
		m := spa.NewManager(spa.Options{Fetcher: e.op.Fetcher(), Stores: e.stores, Clock: e.clk, DPoP: spa.NewDPoP(keys)})
		if err := m.Configure(context.Background(), []spa.Config{dpopCfg("a")}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	e.m = newManager()
	e.op.RequireDPoP("")
	e.login("a")
	first := e.op.Proofs()[0].JKT

	e.m = newManager() // a reload: the key is not at hand yet
	keys.looked, keys.release = make(chan struct{}), make(chan struct{})
	looked := keys.looked
	type headers struct {
		h   spa.AuthHeaders
		err error
	}
	done := make(chan headers, 1)
	go func() {
		target := "https://api.example/a/x"
		r, _ := e.m.MatchRequest(target, "GET", nil)
		h, _, err := e.m.RouteHeaders(context.Background(), r, "GET", target, false)
		done <- headers{h, err}
	}()
	<-looked
	if err := e.m.LogoffLocal("a"); err != nil {
		t.Fatal(err)
	}
	close(keys.release)
	got := <-done
	if got.err != nil {
		t.Fatalf("the proof whose lookup was in flight: %v", got.err)
	}
	// That proof is not signed with the key the logoff deleted either.
	if p, err := e.op.CheckProof(got.h.DPoP, "GET", "https://api.example/a/x", strings.TrimPrefix(got.h.Authorization, "DPoP ")); p.JKT == first {
		t.Errorf("the proof whose lookup overlapped the logoff is signed with the deleted key (%v)", err)
	}
	e.login("a")
	ps := e.op.Proofs()
	if last := ps[len(ps)-1].JKT; last == first {
		t.Error("the sign-in after the logoff proved the old session's key: the lookup in flight cached it")
	}
}

// TestDPoPNonceSyntaxIsChecked: a DPoP-Nonce that is not 1*NQCHAR (RFC 9449
// §8.1: %x21 / %x23-5B / %x5D-7E, here at most 512 of them) is not adopted,
// so no proof echoes a header value that could break out of its quoting.
func TestDPoPNonceSyntaxIsChecked(t *testing.T) {
	for _, tt := range []struct {
		name, nonce string
		adopted     bool
	}{
		{"every NQCHAR", "!#[]~" + strings.Repeat("a", 10), true},
		{"512 characters", strings.Repeat("n", 512), true},
		{"513 characters", strings.Repeat("n", 513), false},
		{"a space", "a b", false},
		{"a control character", "a\x1fb", false},
		{"DEL", "a\x7fb", false},
		{"a double quote", `a"b`, false},
		{"a backslash", `a\b`, false},
		{"non-ASCII", "añb", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, dpopCfg("a"))
			e.op.RequireDPoP("")
			e.login("a")
			target := "https://api.example/a/x"
			ask := &spa.Response{Status: http.StatusUnauthorized, Header: http.Header{
				"Www-Authenticate": {`DPoP error="use_dpop_nonce"`}, "Dpop-Nonce": {tt.nonce}}}
			want := spa.AnswerDone
			if tt.adopted {
				want = spa.AnswerNonce
			}
			if got := e.m.RouteAnswer("a", target, ask); got != want {
				t.Fatalf("RouteAnswer with DPoP-Nonce %q = %q, want %q", tt.nonce, got, want)
			}
			if !tt.adopted {
				return
			}
			m, _ := e.m.MatchRequest(target, "GET", nil)
			h, _, err := e.m.RouteHeaders(context.Background(), m, "GET", target, false)
			if err != nil {
				t.Fatal(err)
			}
			if p, err := e.op.CheckProof(h.DPoP, "GET", target, strings.TrimPrefix(h.Authorization, "DPoP ")); err != nil || p.Claims["nonce"] != tt.nonce {
				t.Errorf("the retry's proof: nonce %v, err %v; want %q", p.Claims["nonce"], err, tt.nonce)
			}
		})
	}
}

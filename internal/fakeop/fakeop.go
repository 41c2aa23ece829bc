// Package fakeop is the fake OpenID Provider of every test layer (spa,
// silentrefresh, web and web/goapp): discovery, a JWK Set with an ES256 key
// minted at test time, an authorization endpoint that also answers
// prompt=none, a token endpoint for the authorization code grant with PKCE
// and the refresh-token grant with rotation, userinfo, revocation, PAR and
// DPoP, with faults to inject.
//
// It has no sockets: Fetcher calls its handlers in memory and Authorize plays
// the authorization endpoint, so a spa.Manager can run inside a
// testing/synctest bubble (network I/O never blocks durably, so a real socket
// would stall the bubble's fake clock).
//
// Its keys, JWK Set and JWT signing are package fakeop/jwks (see Keys). The
// internal tests of package spa use that package alone: they cannot import
// fakeop, which imports spa.
package fakeop

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop/jwks"
	"github.com/oidcwasm/oidcwasm/spa"
)

// Issuer is the OP's issuer identifier; its endpoints live under it.
const Issuer = "https://op.example"

// Fault is how the token endpoint fails.
type Fault struct {
	Network bool   // no HTTP answer: Fetch returns an *spa.Error with CodeNetwork
	Status  int    // the HTTP status of the answer
	Code    string // an RFC 6749 §5.2 error code; without one the body is HTML
}

// Token is one token request the OP answered or refused.
type Token struct {
	Grant        string    // grant_type
	At           time.Time // the OP's clock when it arrived
	RefreshToken string    // the refresh token presented (refresh grant)
	Resource     string    // the resource asked for (RFC 8707 §2.2)
	Scope        string    // the scope asked for (refresh grant)
	Failed       bool
}

type grant struct {
	clientID, redirect, challenge, nonce, scope string
	resources                                   []string // named at the authorization endpoint (RFC 8707 §2.1)
}

// OP is the fake provider.
type OP struct {
	clock spa.Clock
	mux   *http.ServeMux
	keys  *jwks.Set

	mu          sync.Mutex
	ttl         time.Duration
	serial      int
	codes       map[string]grant
	refresh     map[string]bool  // issued refresh tokens: true while valid
	families    map[string]grant // a refresh token's grant: its scope and resources
	refused     string           // a resource the token endpoint refuses
	fault       *Fault
	silentError string
	gate        chan struct{}
	tokens      []Token
	authorizes  int
	silent      int
	reuses      int
	requests    map[string]int
	revoked     map[string]bool // revoked access tokens
	subject     string          // the sub of new ID tokens; "" is alice
	userinfoSub string
	dpop        *dpopState // RequireDPoP
	pushed      map[string]*pushed
	pushes      []url.Values
	requirePAR  bool
	sid         string    // the sid of new ID tokens (SetSession)
	authTime    time.Time // their auth_time
	sessState   string    // the session_state of authorization responses
}

// New returns an OP whose tokens are minted at clock's time with an access
// token lifetime (expires_in) of 10 minutes.
func New(t testing.TB, clock spa.Clock) *OP {
	t.Helper()
	op := &OP{clock: clock, mux: http.NewServeMux(), keys: jwks.NewSet("ES256"), ttl: 10 * time.Minute,
		codes: map[string]grant{}, refresh: map[string]bool{}, families: map[string]grant{}, requests: map[string]int{}, revoked: map[string]bool{}, pushed: map[string]*pushed{}}
	op.mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		op.mu.Lock()
		requirePAR := op.requirePAR
		op.mu.Unlock()
		writeJSON(w, "application/json", map[string]any{
			"pushed_authorization_request_endpoint":          Issuer + "/par",
			"require_pushed_authorization_requests":          requirePAR,
			"dpop_signing_alg_values_supported":              []string{"ES256"},
			"issuer":                                         Issuer,
			"authorization_endpoint":                         Issuer + "/authorize",
			"token_endpoint":                                 Issuer + "/token",
			"jwks_uri":                                       Issuer + "/jwks",
			"userinfo_endpoint":                              Issuer + "/userinfo",
			"revocation_endpoint":                            Issuer + "/revoke",
			"end_session_endpoint":                           Issuer + "/logout",
			"response_types_supported":                       []string{"code"},
			"subject_types_supported":                        []string{"public"},
			"id_token_signing_alg_values_supported":          []string{"ES256"},
			"code_challenge_methods_supported":               []string{"S256"},
			"authorization_response_iss_parameter_supported": true,
			"check_session_iframe":                           Issuer + "/check_session",
			"frontchannel_logout_supported":                  true,
			"frontchannel_logout_session_supported":          true,
		})
	})
	op.mux.HandleFunc("GET /jwks", op.keys.ServeJWKS)
	op.mux.HandleFunc("POST /token", op.serveToken)
	op.mux.HandleFunc("GET /userinfo", op.serveUserinfo)
	op.mux.HandleFunc("POST /revoke", op.serveRevoke)
	op.mux.HandleFunc("POST /par", op.servePAR)
	return op
}

// Handle adds or replaces a handler, to make an endpoint misbehave in a test.
// The pattern is an http.ServeMux pattern such as "GET /userinfo".
func (op *OP) Handle(pattern string, h http.HandlerFunc) {
	op.mu.Lock()
	defer op.mu.Unlock()
	old := op.mux
	op.mux = http.NewServeMux()
	op.mux.HandleFunc(pattern, h)
	op.mux.Handle("/", old)
}

// Requests counts the requests that reached path (such as "/token").
func (op *OP) Requests(path string) int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.requests[path]
}

// Keys is the OP's key set: /jwks publishes it and ID tokens are signed with
// its signing key, so a test can rotate keys or sign tokens of its own.
// Discovery lists ES256 only.
func (op *OP) Keys() *jwks.Set { return op.keys }

// sign returns an ID token with the usual claims for clientID at now (iss,
// sub "alice" or SetSubject's, aud, iat, exp in an hour) plus nonce when set.
func (op *OP) sign(clientID, nonce string, now time.Time) string {
	claims := jwks.Claims(Issuer, clientID, now)
	if op.subject != "" { // op.mu is held (serveToken)
		claims["sub"] = op.subject
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if op.sid != "" {
		claims["sid"] = op.sid
	}
	if !op.authTime.IsZero() {
		claims["auth_time"] = op.authTime.Unix()
	}
	return op.keys.Sign(claims)
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	json.NewEncoder(w).Encode(v)
}

// SetAccessTTL sets expires_in of the access tokens issued from now on; 0
// leaves expires_in out.
func (op *OP) SetAccessTTL(d time.Duration) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.ttl = d
}

// SetTokenFault makes every token request fail with f until SetTokenFault(nil).
func (op *OP) SetTokenFault(f *Fault) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.fault = f
}

// SetSilentError makes prompt=none requests answer with this error code
// (login_required, ...); "" issues codes again.
func (op *OP) SetSilentError(code string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.silentError = code
}

// SetTokenGate holds every token request until gate is closed (or the
// request's context ends); nil lets them through. Make gate inside the bubble.
func (op *OP) SetTokenGate(gate chan struct{}) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.gate = gate
}

// SetRefusedResource makes the token endpoint answer invalid_target (RFC 8707
// §2) to a request for resource, leaving the refresh token presented valid;
// "" refuses none. A resource the authorization did not name is refused too.
func (op *OP) SetRefusedResource(resource string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.refused = resource
}

// Revoked reports whether the access token tok was revoked (RFC 7009).
func (op *OP) Revoked(tok string) bool {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.revoked[tok]
}

// RevokeRefreshTokens invalidates every refresh token issued so far, as a
// logout at the provider or an administrator would.
func (op *OP) RevokeRefreshTokens() {
	op.mu.Lock()
	defer op.mu.Unlock()
	for rt := range op.refresh {
		op.refresh[rt] = false
	}
}

// Tokens lists the token requests so far, of grant type grantType ("" for all).
func (op *OP) Tokens(grantType string) []Token {
	op.mu.Lock()
	defer op.mu.Unlock()
	var out []Token
	for _, t := range op.tokens {
		if grantType == "" || t.Grant == grantType {
			out = append(out, t)
		}
	}
	return out
}

// Authorizes counts authorization requests, and those with prompt=none.
func (op *OP) Authorizes() (all, silent int) {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.authorizes, op.silent
}

// Reuses counts refresh requests with a refresh token that was already
// rotated away or revoked (RFC 9700 §4.14.2 reuse).
func (op *OP) Reuses() int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.reuses
}

// ValidRefreshTokens lists the refresh tokens the OP would still accept.
func (op *OP) ValidRefreshTokens() []string {
	op.mu.Lock()
	defer op.mu.Unlock()
	var out []string
	for rt, ok := range op.refresh {
		if ok {
			out = append(out, rt)
		}
	}
	slices.Sort(out)
	return out
}

// Fetcher returns a spa.Fetcher that calls the OP's handlers in memory. A
// request to another host fails with CodeNetwork.
func (op *OP) Fetcher() spa.Fetcher {
	return spa.FetcherFunc(func(ctx context.Context, req *spa.Request) (*spa.Response, error) {
		if !strings.HasPrefix(req.URL, Issuer+"/") {
			return nil, &spa.Error{Code: spa.CodeNetwork, Message: "fakeop: no route to " + req.URL}
		}
		if strings.HasSuffix(strings.SplitN(req.URL, "?", 2)[0], "/token") {
			op.mu.Lock()
			gate, fault := op.gate, op.fault
			op.mu.Unlock()
			if gate != nil {
				select {
				case <-gate:
				case <-ctx.Done():
					return nil, &spa.Error{Code: spa.CodeNetwork, Message: "fakeop: request cancelled", Err: ctx.Err()}
				}
			}
			if fault != nil && fault.Network {
				op.record(Token{Grant: grantOf(req.Body), At: op.clock.Now(), Failed: true})
				return nil, &spa.Error{Code: spa.CodeNetwork, Message: "fakeop: network down"}
			}
		}
		path := strings.TrimPrefix(strings.SplitN(req.URL, "?", 2)[0], Issuer)
		op.mu.Lock()
		op.requests[path]++
		mux := op.mux
		op.mu.Unlock()
		req = &spa.Request{Method: req.Method, URL: req.URL, Header: req.Header.Clone(), Body: req.Body}
		if req.Header == nil {
			req.Header = http.Header{}
		}
		answer, jkt := op.dpopFilter(req, path)
		if answer != nil {
			return answer, nil
		}
		r := httptest.NewRequestWithContext(ctx, req.Method, req.URL, strings.NewReader(string(req.Body)))
		for k, v := range req.Header {
			r.Header[k] = slices.Clone(v)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)
		out := &spa.Response{Status: res.StatusCode, Header: res.Header, Body: body}
		if jkt != "" && path == "/token" {
			op.dpopBind(out, jkt)
		}
		return out, nil
	})
}

func grantOf(body []byte) string {
	q, _ := url.ParseQuery(string(body))
	return q.Get("grant_type")
}

func (op *OP) record(t Token) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.tokens = append(op.tokens, t)
}

// Authorize plays the authorization endpoint (RFC 6749 §4.1.1, OpenID Connect
// Core §3.1.2) for authorizeURL and returns the URL it redirects to: the
// redirect_uri with code, state and iss (RFC 9207), or with error and state
// when prompt=none meets SetSilentError (§3.1.2.6). The user is always
// signed in. A request it cannot redirect is an error.
func (op *OP) Authorize(authorizeURL string) (string, error) {
	u, err := url.Parse(authorizeURL)
	if err != nil || !strings.HasPrefix(authorizeURL, Issuer+"/authorize?") {
		return "", fmt.Errorf("fakeop: %q is not this OP's authorization endpoint", authorizeURL)
	}
	q := u.Query()
	if q.Has("request_uri") { // RFC 9126 §4: the pushed parameters, and only those
		op.mu.Lock()
		params, ok := op.takePushed(q)
		op.mu.Unlock()
		if !ok {
			if params == nil {
				return "", fmt.Errorf("fakeop: unknown request_uri %q", q.Get("request_uri"))
			}
			return params.Get("redirect_uri") + "?" + url.Values{"error": {"invalid_request_uri"}, "state": {params.Get("state")}, "iss": {Issuer}}.Encode(), nil
		}
		q = params
	}
	redirect := q.Get("redirect_uri")
	if q.Get("response_type") != "code" || q.Get("client_id") == "" || redirect == "" || q.Get("state") == "" ||
		q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		return "", fmt.Errorf("fakeop: malformed authorization request %s", authorizeURL)
	}
	back := url.Values{"state": {q.Get("state")}, "iss": {Issuer}}
	op.mu.Lock()
	op.authorizes++
	silent := q.Get("prompt") == "none"
	if silent {
		op.silent++
	}
	if silent && op.silentError != "" {
		back.Set("error", op.silentError)
	} else {
		op.serial++
		code := "code-" + strconv.Itoa(op.serial)
		op.codes[code] = grant{clientID: q.Get("client_id"), redirect: redirect, challenge: q.Get("code_challenge"),
			nonce: q.Get("nonce"), scope: q.Get("scope"), resources: q["resource"]}
		back.Set("code", code)
		if op.sessState != "" {
			back.Set("session_state", op.sessState)
		}
	}
	op.mu.Unlock()
	return redirect + "?" + back.Encode(), nil
}

// serveToken is the token endpoint: authorization_code with PKCE (RFC 6749
// §4.1.3, RFC 7636 §4.6) and refresh_token with rotation (RFC 6749 §6,
// RFC 9700 §4.14.2): each refresh token works once, and presenting a used one
// is counted as reuse and refused with invalid_grant.
func (op *OP) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	now := op.clock.Now()
	rec := Token{Grant: r.PostForm.Get("grant_type"), At: now, RefreshToken: r.PostForm.Get("refresh_token"),
		Resource: r.PostForm.Get("resource"), Scope: r.PostForm.Get("scope")}
	op.mu.Lock()
	defer op.mu.Unlock()
	if f := op.fault; f != nil {
		rec.Failed = true
		op.tokens = append(op.tokens, rec)
		if f.Code != "" {
			oauthError(w, f.Status, f.Code)
		} else {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(f.Status)
			io.WriteString(w, "<h1>unavailable</h1>")
		}
		return
	}
	var g grant
	refuse := func(code string) {
		rec.Failed = true
		op.tokens = append(op.tokens, rec)
		oauthError(w, http.StatusBadRequest, code)
	}
	switch rec.Grant {
	case "authorization_code":
		code := r.PostForm.Get("code")
		var ok bool
		g, ok = op.codes[code]
		if ok && rec.Resource != "" && (rec.Resource == op.refused || !slices.Contains(g.resources, rec.Resource)) {
			refuse("invalid_target")
			return
		}
		delete(op.codes, code)
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || g.clientID != r.PostForm.Get("client_id") || g.redirect != r.PostForm.Get("redirect_uri") ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			rec.Failed = true
			op.tokens = append(op.tokens, rec)
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
	case "refresh_token":
		valid, known := op.refresh[rec.RefreshToken]
		if !valid {
			if known {
				op.reuses++
			}
			rec.Failed = true
			op.tokens = append(op.tokens, rec)
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		g = op.families[rec.RefreshToken]
		if rec.Resource != "" && (rec.Resource == op.refused || !slices.Contains(g.resources, rec.Resource)) {
			refuse("invalid_target") // the refresh token stays valid
			return
		}
		for _, sc := range strings.Fields(rec.Scope) {
			if !strings.Contains(" "+g.scope+" ", " "+sc+" ") {
				refuse("invalid_scope") // a refresh never widens the grant (RFC 6749 §6)
				return
			}
		}
		op.refresh[rec.RefreshToken] = false // rotation: used once
		g.clientID, g.nonce = r.PostForm.Get("client_id"), ""
	default:
		rec.Failed = true
		op.tokens = append(op.tokens, rec)
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	op.tokens = append(op.tokens, rec)
	op.serial++
	n := strconv.Itoa(op.serial)
	at := "at-" + n
	if rec.Resource != "" {
		at += "@" + rec.Resource // the token for that audience
	}
	resp := map[string]any{"access_token": at, "token_type": "Bearer", "id_token": op.sign(g.clientID, g.nonce, now)}
	if rec.Scope != "" {
		resp["scope"] = rec.Scope
	}
	if op.ttl > 0 {
		resp["expires_in"] = int(op.ttl / time.Second)
	}
	if strings.Contains(" "+g.scope+" ", " offline_access ") {
		rt := "rt-" + n
		op.refresh[rt] = true
		op.families[rt] = grant{scope: g.scope, resources: g.resources}
		resp["refresh_token"] = rt
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, "application/json", resp)
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code})
}

// Login signs the user in to config configID of m through the full code flow
// (without prompt=none) and returns the new session.
func (op *OP) Login(ctx context.Context, m *spa.Manager, configID string) (*spa.Session, error) {
	authURL, err := m.Authorize(ctx, configID, spa.AuthorizeOptions{MaxAge: -1})
	if err != nil {
		return nil, err
	}
	back, err := op.Authorize(authURL)
	if err != nil {
		return nil, err
	}
	cb, err := m.ValidateCallback(ctx, back)
	if err != nil {
		return nil, err
	}
	return m.Exchange(ctx, cb)
}

// SetSubject makes the ID tokens issued from now on name sub instead of
// "alice": another user signed in at the provider ("" for alice again).
func (op *OP) SetSubject(sub string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.subject = sub
}

// SetSession makes the ID tokens issued from now on carry sid and, when
// authTime is not zero, auth_time: the provider's session (OpenID Connect
// Front-Channel Logout 1.0 §3). "" leaves sid out.
func (op *OP) SetSession(sid string, authTime time.Time) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.sid, op.authTime = sid, authTime
}

// SetSessionState makes successful authorization responses carry
// session_state (OpenID Connect Session Management 1.0 §2); "" leaves it out.
func (op *OP) SetSessionState(state string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.sessState = state
}

// SetUserinfoSub makes userinfo answer with another sub ("" for the ID token's).
func (op *OP) SetUserinfoSub(sub string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.userinfoSub = sub
}

// serveUserinfo answers an access token this OP issued and did not revoke
// (OpenID Connect Core §5.3; RFC 6750 §3.1 for the challenge).
func (op *OP) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	op.mu.Lock()
	bad := !ok || !strings.HasPrefix(tok, "at-") || op.revoked[tok]
	sub := op.userinfoSub
	op.mu.Unlock()
	if bad {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if sub == "" {
		sub = "alice"
	}
	writeJSON(w, "application/json", map[string]any{"sub": sub, "name": "Alice Liddell", "email": "alice@example.com"})
}

// serveRevoke is RFC 7009 §2: revoked access tokens fail userinfo, revoked
// refresh tokens fail the refresh grant; unknown tokens are fine (§2.2).
func (op *OP) serveRevoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" || r.PostForm.Get("client_id") == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	tok := r.PostForm.Get("token")
	op.mu.Lock()
	if _, ok := op.refresh[tok]; ok {
		op.refresh[tok] = false
	} else {
		op.revoked[tok] = true
	}
	op.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

package fakeop

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/oidcwasm/oidcwasm/internal/dpop"
	"github.com/oidcwasm/oidcwasm/spa"
)

// Proof is a DPoP proof (RFC 9449 §4) the OP received, as it read it.
type Proof struct {
	Path   string         // the endpoint path, e.g. "/token"
	Header map[string]any // the JOSE header
	Claims map[string]any
	JKT    string // the RFC 7638 thumbprint of the jwk header
}

type dpopState struct {
	nonce     string        // required when set (§8)
	tokenType string        // token_type answered instead of "DPoP"
	checker   *dpop.Checker // the proof rules and the replay cache (§11.1)
	proofs    []Proof
	boundRT   map[string]string // refresh token → jkt (§5)
	boundAT   map[string]string // access token → jkt
}

// RequireDPoP turns DPoP on at the token, userinfo, revocation and PAR
// endpoints (RFC 9449 §5, §7): each request needs a valid proof; tokens are
// DPoP tokens bound to its key; nonce, when not "", must be in every proof
// (§8) and is handed out with use_dpop_nonce.
func (op *OP) RequireDPoP(nonce string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.dpop == nil {
		op.dpop = &dpopState{checker: dpop.NewChecker(0, op.clock.Now), boundRT: map[string]string{}, boundAT: map[string]string{}}
	}
	op.dpop.nonce = nonce
}

// SetDPoPTokenType makes the token endpoint answer a DPoP request with
// another token_type, e.g. "Bearer" (a provider that did not bind).
func (op *OP) SetDPoPTokenType(tt string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.dpop.tokenType = tt
}

// Proofs returns the proofs received so far.
func (op *OP) Proofs() []Proof {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.dpop == nil {
		return nil
	}
	return append([]Proof(nil), op.dpop.proofs...)
}

// CheckProof checks a proof as a resource server would (RFC 9449 §4.3,
// §7.1, by package dpop, the checker of the development provider and the
// demo APIs too): signature by its jwk, typ, alg, htm, htu, a fresh iat, a
// new jti, ath of accessToken, and that accessToken is bound to its key.
func (op *OP) CheckProof(proof, method, target, accessToken string) (Proof, error) {
	op.mu.Lock()
	defer op.mu.Unlock()
	p, err := op.checkProofLocked(proof, method, target, accessToken, "")
	if err == nil && op.dpop.boundAT[accessToken] != p.JKT {
		err = errors.New("the access token is not bound to the proof's key")
	}
	return p, err
}

// checkProofLocked checks proof with the shared checker and records it (as
// read, header and claims, for tests to look at) when it is a signed JWS at
// all. A proof without the server's nonce (when one is set) fails with a
// *dpop.Error of code dpop.ErrUseNonce.
func (op *OP) checkProofLocked(proof, method, target, accessToken, nonce string) (Proof, error) {
	u, _ := url.Parse(target)
	p := Proof{Path: u.Path}
	h := http.Header{}
	if proof != "" {
		h.Set(dpop.Header, proof)
	}
	got, err := op.dpop.checker.Check(h, dpop.Expect{Method: method, URL: target, AccessToken: accessToken, Nonce: nonce})
	if parts := strings.Split(proof, "."); len(parts) == 3 {
		h, _ := base64.RawURLEncoding.DecodeString(parts[0])
		c, _ := base64.RawURLEncoding.DecodeString(parts[1])
		json.Unmarshal(h, &p.Header)
		json.Unmarshal(c, &p.Claims)
	}
	if got != nil {
		p.JKT = got.JKT
	}
	if p.Header != nil {
		op.dpop.proofs = append(op.dpop.proofs, p)
	}
	return p, err
}

// dpopFilter runs before the OP's handlers when DPoP is on: it checks the
// proof of a token, userinfo, revocation or PAR request and answers the
// request itself when it fails or lacks the nonce; else it returns the
// proof's thumbprint and the request to hand on (userinfo's DPoP scheme
// becomes Bearer).
func (op *OP) dpopFilter(req *spa.Request, path string) (*spa.Response, string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.dpop == nil || path != "/token" && path != "/userinfo" && path != "/revoke" && path != "/par" {
		return nil, ""
	}
	var token string
	if path == "/userinfo" {
		t, ok := strings.CutPrefix(req.Header.Get("Authorization"), "DPoP ")
		if !ok {
			return challenge401(`DPoP error="invalid_token"`, ""), ""
		}
		token = t
		req.Header.Set("Authorization", "Bearer "+t)
	}
	n := op.dpop.nonce
	p, err := op.checkProofLocked(req.Header.Get("DPoP"), req.Method, req.URL, token, n)
	var de *dpop.Error
	if errors.As(err, &de) && de.Code == dpop.ErrUseNonce {
		if path == "/userinfo" {
			return challenge401(`DPoP error="use_dpop_nonce"`, n), ""
		}
		return errorAnswer(http.StatusBadRequest, "use_dpop_nonce", n), ""
	}
	if err != nil {
		if path == "/userinfo" {
			return challenge401(`DPoP error="invalid_dpop_proof"`, ""), ""
		}
		return errorAnswer(http.StatusBadRequest, "invalid_dpop_proof", ""), ""
	}
	if path == "/userinfo" && op.dpop.boundAT[token] != p.JKT {
		return challenge401(`DPoP error="invalid_token"`, ""), ""
	}
	if path == "/token" {
		q, _ := url.ParseQuery(string(req.Body))
		if rt := q.Get("refresh_token"); q.Get("grant_type") == "refresh_token" && op.dpop.boundRT[rt] != p.JKT {
			return errorAnswer(http.StatusBadRequest, "invalid_grant", ""), "" // bound to another key (§5); not used up
		}
	}
	return nil, p.JKT
}

// dpopBind turns a token answer into a DPoP one bound to jkt.
func (op *OP) dpopBind(resp *spa.Response, jkt string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	var body map[string]any
	if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &body) != nil {
		return
	}
	body["token_type"] = "DPoP"
	if op.dpop.tokenType != "" {
		body["token_type"] = op.dpop.tokenType
	}
	if at, ok := body["access_token"].(string); ok {
		op.dpop.boundAT[at] = jkt
	}
	if rt, ok := body["refresh_token"].(string); ok {
		op.dpop.boundRT[rt] = jkt
	}
	resp.Body, _ = json.Marshal(body)
	if op.dpop.nonce != "" {
		resp.Header.Set("DPoP-Nonce", op.dpop.nonce)
	}
}

func challenge401(challenge, nonce string) *spa.Response {
	h := http.Header{"Www-Authenticate": {challenge}}
	if nonce != "" {
		h.Set("DPoP-Nonce", nonce)
	}
	return &spa.Response{Status: http.StatusUnauthorized, Header: h}
}

func errorAnswer(status int, code, nonce string) *spa.Response {
	h := http.Header{"Content-Type": {"application/json"}}
	if nonce != "" {
		h.Set("DPoP-Nonce", nonce)
	}
	return &spa.Response{Status: status, Header: h, Body: []byte(`{"error":"` + code + `"}`)}
}

// pushed is a pushed authorization request (RFC 9126).
type pushed struct {
	params  url.Values
	expired bool
}

// servePAR is the pushed authorization request endpoint (RFC 9126 §2): it
// keeps the parameters and answers 201 with a request_uri.
func (op *OP) servePAR(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") == "" || r.PostForm.Has("request_uri") {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	op.mu.Lock()
	op.serial++
	uri := "urn:ietf:params:oauth:request_uri:" + strconv.Itoa(op.serial)
	op.pushed[uri] = &pushed{params: r.PostForm}
	op.pushes = append(op.pushes, r.PostForm)
	op.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"request_uri": uri, "expires_in": 60})
}

// RequirePAR makes discovery say require_pushed_authorization_requests.
func (op *OP) RequirePAR() {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.requirePAR = true
}

// Pushes returns the bodies of the pushed authorization requests so far.
func (op *OP) Pushes() []url.Values {
	op.mu.Lock()
	defer op.mu.Unlock()
	return append([]url.Values(nil), op.pushes...)
}

// ExpirePushed lets every request_uri handed out so far expire.
func (op *OP) ExpirePushed() {
	op.mu.Lock()
	defer op.mu.Unlock()
	for _, p := range op.pushed {
		p.expired = true
	}
}

// takePushed resolves a request_uri (used once, RFC 9126 §4); a used,
// unknown or expired one gives ok false and the redirect and state to send
// invalid_request_uri to, when known.
func (op *OP) takePushed(q url.Values) (params url.Values, ok bool) {
	p := op.pushed[q.Get("request_uri")]
	if p == nil || p.params.Get("client_id") != q.Get("client_id") {
		return nil, false
	}
	delete(op.pushed, q.Get("request_uri"))
	return p.params, !p.expired
}

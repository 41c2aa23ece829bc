package spa

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// DPoPKey is one config's DPoP key pair (RFC 9449). It signs proofs and never
// hands out its private key: in the browser it is a non-extractable
// WebCrypto key (package web), so a script that steals a token cannot also
// steal what makes it usable.
type DPoPKey interface {
	// PublicJWK is the public key as a JWK (RFC 7517) JSON object: kty "EC",
	// crv "P-256", x and y, nothing private (RFC 9449 §4.2, jwk header).
	PublicJWK() []byte
	// Sign returns the ES256 signature of input, R || S in 64 bytes
	// (RFC 7518 §3.4).
	Sign(ctx context.Context, input []byte) ([]byte, error)
}

// DPoPKeys keeps a DPoP key per config: Key returns the config's key, made
// on first use, and the same one afterwards (across reloads, where the
// implementation stores it); Delete forgets it, at logoff. Delete must not
// block on I/O (it may be called where the browser cannot wait): a Key call
// that begins after it returns waits for the deletion and makes a new key.
// An implementation need not cache: the Manager keeps the keys it got.
type DPoPKeys interface {
	Key(ctx context.Context, configID string) (DPoPKey, error)
	Delete(configID string)
}

// DPoP is Options.DPoP: what signs the proofs of the configs with DPoP on.
// Make it with NewDPoP. The zero value signs nothing, and Configure refuses
// a config with DPoP then; natively NewManager defaults to keys in memory.
// An option rather than a built-in so that an app without DPoP does not
// carry its code (the wasm size budget, docs/DESIGN.md).
type DPoP struct{ p prover }

// NewDPoP returns the DPoP option over a key store: in the browser
// web.NewDPoPKeys(), natively NewMemoryDPoPKeys().
func NewDPoP(keys DPoPKeys) DPoP { return DPoP{&keyProver{keys: keys}} }

// prover makes DPoP proofs and keeps the servers' nonces.
type prover interface {
	proof(ctx context.Context, m *Manager, configID, method, target, accessToken string) (string, error)
	input(m *Manager, configID, method, target, accessToken string) (string, DPoPKey, bool)
	send(ctx context.Context, m *Manager, p *provider, req *Request, accessToken string) (*Response, error)
	retry(target string, resp *Response) bool
	forget(configID string)
}

// keyProver is the prover of NewDPoP. It is the one cache of the keys the
// store gave, per config; a store (web's IndexedDB, memory) keeps none.
type keyProver struct {
	keys   DPoPKeys
	nonces dpopNonces
	mu     sync.Mutex
	cache  map[string]DPoPKey // the keys got from keys, per config
	gen    map[string]uint64  // forgets so far, per config
}

// forget drops the config's key, here and in the store, in one step under
// k.mu (DPoPKeys.Delete does not block): no lookup can see the store between
// the deletion and the new generation. A lookup that began before it loads
// again when it ends (see key), so the deleted key is never cached, nor
// used for a proof after its session ended (RFC 9449 §2: tokens bound to it
// are over).
func (k *keyProver) forget(configID string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.cache, configID)
	if k.gen == nil {
		k.gen = map[string]uint64{}
	}
	k.gen[configID]++
	k.keys.Delete(configID)
}

// AuthHeaders are the headers a request to a secure route carries.
type AuthHeaders struct {
	// Authorization is "Bearer <token>" (RFC 6750 §2.1), or "DPoP <token>"
	// for a config with DPoP (RFC 9449 §7.1).
	Authorization string
	// DPoP is the proof for this request (RFC 9449 §4), "" without DPoP.
	DPoP string
}

// dpopNonces are the nonces servers gave (RFC 9449 §8, §9), per origin: a
// nonce is the server's, whichever config's request brought it.
type dpopNonces struct {
	mu sync.Mutex
	m  map[string]string
}

func (n *dpopNonces) get(origin string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.m[origin]
}

// learn keeps the DPoP-Nonce of an answer from target's origin and reports
// whether it is new.
func (n *dpopNonces) learn(target string, h http.Header) bool {
	v := h.Get("DPoP-Nonce")
	_, origin, err := dpopHTU(target)
	if v == "" || err != nil || !isNonceValue(v) {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[string]string{}
	}
	if n.m[origin] == v {
		return false
	}
	n.m[origin] = v
	return true
}

// isNonceValue checks RFC 9449 §8.1's nonce syntax: 1*NQCHAR.
func isNonceValue(s string) bool {
	if len(s) > 512 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// dpopHTU returns the htu of a proof for target: the URI without query and
// fragment (RFC 9449 §4.2), with the scheme and host in lower case, no
// default port and no dot segments (RFC 3986 §6.2.2, §6.2.3), which is how
// the server compares it (§4.3 check 9); and target's origin.
func dpopHTU(target string) (htu, origin string, err error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", "", err
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" || u.Host == "" {
		return "", "", newError(CodeInvalidConfig, "", "a DPoP proof needs an absolute http(s) URL")
	}
	host := strings.ToLower(u.Host)
	if p := u.Port(); scheme == "https" && p == "443" || scheme == "http" && p == "80" {
		host = strings.TrimSuffix(host, ":"+p)
	}
	u = u.ResolveReference(&url.URL{}) // removes dot segments (RFC 3986 §5.2.4)
	out := url.URL{Scheme: scheme, Host: host, Path: u.Path, RawPath: u.RawPath}
	if out.Path == "" {
		out.Path = "/"
	}
	return out.String(), scheme + "://" + host, nil
}

// dpopClaims are the claims of a proof (RFC 9449 §4.2).
type dpopClaims struct {
	JTI   string `json:"jti"`
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	IAT   int64  `json:"iat"`
	ATH   string `json:"ath,omitempty"`
	Nonce string `json:"nonce,omitempty"`
}

// proof makes the DPoP proof of a request (RFC 9449 §4.2): a JWS with
// typ dpop+jwt, alg ES256 and the public key in jwk, whose claims name the
// method, the URL without query and fragment, the time, a unique jti, the
// access token's hash when one goes with the request (ath, §4.2), and the
// server's nonce when it gave one (§8, §9).
func (k *keyProver) proof(ctx context.Context, m *Manager, id, method, target, accessToken string) (string, error) {
	key, err := k.key(ctx, id)
	if err != nil {
		return "", err
	}
	input, err := k.signingInput(m, id, key, method, target, accessToken)
	if err != nil {
		return "", err
	}
	sig, err := key.Sign(ctx, []byte(input))
	if err != nil {
		return "", wrapError(CodeStorage, id, err, "the DPoP key did not sign the proof")
	}
	if len(sig) != 64 {
		return "", newError(CodeInvalidConfig, id, "the DPoP key's signature is %d bytes, not ES256's 64 (RFC 7518 §3.4)", len(sig))
	}
	return input + "." + b64url(sig), nil
}

// key is the config's key from the store, kept for input. A key whose
// lookup overlapped a forget of the config may be the deleted one: it is
// neither cached nor returned, and the store is asked again (a Key call that
// begins after Delete gets a new key).
func (k *keyProver) key(ctx context.Context, id string) (DPoPKey, error) {
	for {
		k.mu.Lock()
		key, gen := k.cache[id], k.gen[id]
		k.mu.Unlock()
		if key != nil {
			return key, nil
		}
		key, err := k.keys.Key(ctx, id)
		if err != nil {
			return nil, wrapError(CodeStorage, id, err, "cannot get the config's DPoP key")
		}
		k.mu.Lock()
		if k.gen[id] == gen {
			if k.cache == nil {
				k.cache = map[string]DPoPKey{}
			}
			k.cache[id] = key
			k.mu.Unlock()
			return key, nil
		}
		k.mu.Unlock()
	}
}

// input is proof without waiting: the signing input with the key to sign
// it, when the key is at hand already.
func (k *keyProver) input(m *Manager, id, method, target, accessToken string) (string, DPoPKey, bool) {
	k.mu.Lock()
	key := k.cache[id]
	k.mu.Unlock()
	if key == nil {
		return "", nil, false
	}
	input, err := k.signingInput(m, id, key, method, target, accessToken)
	return input, key, err == nil
}

// signingInput is the JWS Signing Input (RFC 7515 §5.1) of a proof by key.
func (k *keyProver) signingInput(m *Manager, id string, key DPoPKey, method, target, accessToken string) (string, error) {
	htu, origin, err := dpopHTU(target)
	if err != nil {
		return "", withConfig(err, id)
	}
	jwk := key.PublicJWK()
	if !json.Valid(jwk) || len(jwk) == 0 || jwk[0] != '{' {
		return "", newError(CodeInvalidConfig, id, "the DPoP key's public JWK is not a JSON object")
	}
	c := dpopClaims{HTM: method, HTU: htu, IAT: m.clock.Now().Unix(), Nonce: k.nonces.get(origin)}
	if c.JTI, err = randomString(m.rand, 16); err != nil {
		return "", err
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		c.ATH = base64.RawURLEncoding.EncodeToString(sum[:]) // base64url(SHA-256(ASCII(token))), §4.2
	}
	claims, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return b64url([]byte(`{"typ":"dpop+jwt","alg":"ES256","jwk":`+string(jwk)+`}`)) + "." + b64url(claims), nil
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// authScheme is the Authorization scheme of p's access tokens.
func authScheme(p *provider) string {
	if p.cfg.DPoP {
		return "DPoP"
	}
	return "Bearer"
}

// send makes a request to a provider endpoint for p: with DPoP on, it
// carries a proof (and accessToken, when given, as "DPoP <token>"; else as
// "Bearer <token>"). An answer that asks for a nonce (use_dpop_nonce: 400 from
// an authorization server, §8; a 401 challenge from a resource, §9) is sent
// once more with the nonce it gave, and not twice.
func (m *Manager) send(ctx context.Context, p *provider, req *Request, accessToken string) (*Response, error) {
	if p.cfg.DPoP {
		return m.dpop.send(ctx, m, p, req, accessToken)
	}
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	resp, err := m.fetcher.Fetch(ctx, req)
	if err != nil {
		return nil, withConfig(err, p.cfg.ConfigID)
	}
	return resp, nil
}

// send is Manager.send for a config with DPoP. req's Header is the
// caller's own, set here.
func (k *keyProver) send(ctx context.Context, m *Manager, p *provider, req *Request, accessToken string) (*Response, error) {
	if accessToken != "" {
		req.Header.Set("Authorization", "DPoP "+accessToken)
	}
	for try := 0; ; try++ {
		proof, err := k.proof(ctx, m, p.cfg.ConfigID, req.Method, req.URL, accessToken)
		if err != nil {
			return nil, err
		}
		req.Header.Set("DPoP", proof)
		resp, err := m.fetcher.Fetch(ctx, req)
		if err != nil {
			return nil, withConfig(err, p.cfg.ConfigID)
		}
		if try > 0 || !k.retry(req.URL, resp) {
			return resp, nil
		}
	}
}

// retry keeps the DPoP-Nonce of an answer from target and reports whether
// the answer asks for the request again with it: use_dpop_nonce as an
// authorization server's 400 error (RFC 9449 §8) or a resource's 401 DPoP
// challenge (§9), with a nonce not sent before.
func (k *keyProver) retry(target string, resp *Response) bool {
	if !k.nonces.learn(target, resp.Header) {
		return false
	}
	switch resp.Status {
	case http.StatusBadRequest:
		e := oauthError(resp, "", "")
		return e != nil && e.Code == "use_dpop_nonce"
	case http.StatusUnauthorized:
		return challengeError(resp.Header, "DPoP") == "use_dpop_nonce"
	}
	return false
}

// RouteHeaders returns the headers a request with method to target, a URL
// of the secure-route entry r, carries: the entry's access token
// (RouteToken), as "Bearer" or, for a config with DPoP, as "DPoP" with a
// fresh proof for this method and URL (RFC 9449 §7.1). ok is false for an
// anonymous entry while signed out: the request goes without a token.
func (m *Manager) RouteHeaders(ctx context.Context, r RouteMatch, method, target string, force bool) (AuthHeaders, bool, error) {
	tok, ok, err := m.RouteToken(ctx, r, force)
	if err != nil || !ok {
		return AuthHeaders{}, ok, err
	}
	p, err := m.provider(r.ConfigID)
	if err != nil {
		return AuthHeaders{}, false, err
	}
	h := AuthHeaders{Authorization: authScheme(p) + " " + tok}
	if p.cfg.DPoP {
		if h.DPoP, err = m.dpop.proof(ctx, m, p.cfg.ConfigID, method, target, tok); err != nil {
			return AuthHeaders{}, false, err
		}
	}
	return h, true, nil
}

// RouteProof is RouteHeaders without waiting, for a config with DPoP: when
// the entry's token is fresh and the config's key is at hand, it returns
// the Authorization value and the proof's JWS Signing Input (RFC 7515
// §5.1) with the key to sign it with; the proof is input + "." + the
// base64url signature. ok is false when it cannot answer at once (a token
// to renew, a key to load, no DPoP, signed out): call RouteHeaders. The
// bridge signs in JS with the key's CryptoKey, which saves two trips
// between JS and Go per request.
func (m *Manager) RouteProof(r RouteMatch, method, target string) (authorization, input string, key DPoPKey, ok bool) {
	p, err := m.provider(r.ConfigID)
	if err != nil || !p.cfg.DPoP {
		return "", "", nil, false
	}
	s := p.session.Load()
	if s == nil {
		return "", "", nil, false
	}
	tok, fresh := s.freshToken(r.Route.TokenOptions(), m.clock.Now(), p.cfg.TimeoutFactor)
	if !fresh {
		return "", "", nil, false
	}
	input, key, ok = m.dpop.input(m, p.cfg.ConfigID, method, target, tok)
	return "DPoP " + tok, input, key, ok
}

// What RouteAnswer says to do with the answer of a secure route.
const (
	// AnswerDone: hand the answer to the caller.
	AnswerDone = ""
	// AnswerNonce: send the request once more with new RouteHeaders; the
	// server asked for the DPoP nonce it sent (401, use_dpop_nonce, RFC 9449
	// §9).
	AnswerNonce = "nonce"
	// AnswerRenew: renew the token (RouteHeaders with force) and send the
	// request once more; the server refused the token (401 with a challenge
	// of the token's scheme whose error is invalid_token or absent: RFC 6750
	// §3.1, RFC 9449 §7.1).
	AnswerRenew = "renew"
)

// RouteAnswer is the rule of a fetch wrapper for the answer a secure route
// of configID gave to a request that carried RouteHeaders (oidc.fetch and
// go-app's Auth.Fetch both follow it): it keeps the server's DPoP-Nonce
// (RFC 9449 §9: a resource may send a new one with any answer) and says
// whether to send once more. A caller does each of AnswerNonce and
// AnswerRenew at most once per request, and only when the answer came from
// the URL that was asked (not after a redirect) and the body can be sent
// again.
func (m *Manager) RouteAnswer(configID, target string, resp *Response) string {
	p, err := m.provider(configID)
	if err != nil {
		return AnswerDone
	}
	if p.cfg.DPoP && m.dpop.retry(target, resp) && resp.Status == http.StatusUnauthorized {
		return AnswerNonce
	}
	if TokenChallenge(resp, authScheme(p)) {
		return AnswerRenew
	}
	return AnswerDone
}

// TokenChallenge reports whether resp is 401 with a WWW-Authenticate
// challenge of scheme ("Bearer", "DPoP") whose error is invalid_token or
// absent (RFC 6750 §3.1, RFC 9449 §7.1): the token was refused, and a new one
// may be let in.
func TokenChallenge(resp *Response, scheme string) bool {
	if resp.Status != http.StatusUnauthorized {
		return false
	}
	e, ok := challenge(resp.Header, scheme)
	return ok && (e == "" || e == "invalid_token")
}

// challengeError returns the error parameter of the WWW-Authenticate
// challenge of scheme, "" when there is none.
func challengeError(h http.Header, scheme string) string {
	e, _ := challenge(h, scheme)
	return e
}

// challenge finds the challenge of scheme in WWW-Authenticate (RFC 9110
// §11.6.1) and returns its error parameter (RFC 6750 §3).
func challenge(h http.Header, scheme string) (errParam string, ok bool) {
	v := strings.Join(h.Values("WWW-Authenticate"), ", ")
	params, ok := schemeParams(v, strings.ToLower(scheme))
	if !ok {
		return "", false
	}
	for rest := params; ; {
		i := indexFold(rest, "error")
		if i < 0 {
			return "", true
		}
		before, after := rest[:i], strings.TrimLeft(rest[i+len("error"):], " \t")
		rest = rest[i+len("error")-1:] // keep the "r": "errorerror=" is one name
		if i > 0 && isTokenChar(before[len(before)-1]) || !strings.HasPrefix(after, "=") {
			continue // error_description, or not a parameter
		}
		v := strings.TrimLeft(after[1:], " \t\"")
		if end := strings.IndexAny(v, "\", \t"); end >= 0 {
			v = v[:end]
		}
		return v, true
	}
}

// schemeParams finds scheme (lower case) at the start of h or after a
// comma, and returns what follows it.
func schemeParams(h, scheme string) (string, bool) {
	for off := 0; ; {
		i := indexFold(h[off:], scheme)
		if i < 0 {
			return "", false
		}
		i += off
		end := i + len(scheme)
		lead := strings.TrimRight(h[:i], " \t")
		if (lead == "" || strings.HasSuffix(lead, ",")) && (end == len(h) || !isTokenChar(h[end])) {
			return h[end:], true
		}
		off = end
	}
}

// indexFold is strings.Index with ASCII case folding; sub is lower case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for j < len(sub) && (s[i+j]|0x20) == sub[j] {
			j++
		}
		if j == len(sub) {
			return i
		}
	}
	return -1
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// DPoP reports whether configID's tokens are bound to its DPoP key
// (Config.DPoP): each request then needs a proof from RouteHeaders, so a
// cached token alone will not do.
func (m *Manager) DPoP(configID string) bool {
	p, err := m.provider(configID)
	return err == nil && p.cfg.DPoP
}

// Package testop is a small OpenID Provider for tests: it mints keys at test
// time, serves discovery and a JWK Set on an httptest.Server, signs ID tokens
// (also broken ones, for attack tests) and counts requests per path.
//
// It serves only what the tests of a package need. Add endpoints with
// op.Mux().HandleFunc and announce them with op.SetDiscovery:
//
//	op := testop.New(t)
//	op.Mux().HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) { ... })
//	op.SetDiscovery("token_endpoint", op.URL()+"/token")
//	claims := op.Claims("client-1", time.Now())
//	idToken := op.Sign(claims)
//
// All methods are safe for concurrent use; Sign, NewKey and friends fail the
// test through t.Fatalf, so call them from the test's goroutine.
package testop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Paths served by New.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/jwks"
)

// OP is a test OpenID Provider. Its issuer is its server's URL.
type OP struct {
	t      testing.TB
	server *httptest.Server
	mux    *http.ServeMux

	mu        sync.Mutex
	discovery map[string]any
	keys      []*Key // published in the JWKS, in order
	signing   *Key
	jwks      http.HandlerFunc // nil: ServeJWKS
	hits      map[string]int
	nextKID   int
}

// Key is a signing key of the OP. Set Use (default "sig") before PublishKey to
// publish it for another use.
type Key struct {
	ID      string
	Alg     string // JWS alg: RS256, PS256, ES256, ES384, ES512, EdDSA, ...
	Use     string // "use" in the JWKS; "" leaves it out
	Private crypto.Signer
}

// New starts an OP with one published RS256 signing key (kid "k1") and a
// discovery document naming the issuer and jwks_uri; the server closes when
// the test ends.
func New(t testing.TB) *OP {
	t.Helper()
	op := &OP{t: t, mux: http.NewServeMux(), hits: map[string]int{}}
	op.server = httptest.NewServer(http.HandlerFunc(op.serve))
	t.Cleanup(op.server.Close)
	op.discovery = map[string]any{
		"issuer":                                op.server.URL,
		"jwks_uri":                              op.server.URL + JWKSPath,
		"authorization_endpoint":                op.server.URL + "/authorize",
		"token_endpoint":                        op.server.URL + "/token",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	}
	op.mux.HandleFunc("GET "+DiscoveryPath, op.serveDiscovery)
	op.mux.HandleFunc("GET "+JWKSPath, func(w http.ResponseWriter, r *http.Request) {
		op.mu.Lock()
		h := op.jwks
		op.mu.Unlock()
		if h == nil {
			h = op.ServeJWKS
		}
		h(w, r)
	})
	k := op.NewKey("RS256")
	op.PublishKey(k)
	op.mu.Lock()
	op.signing = k
	op.mu.Unlock()
	return op
}

// serve counts the request, then hands it to the mux.
func (op *OP) serve(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	op.hits[r.URL.Path]++
	op.mu.Unlock()
	op.mux.ServeHTTP(w, r)
}

// URL is the server's base URL, which is also the issuer.
func (op *OP) URL() string { return op.server.URL }

// Issuer is the issuer identifier (the server's URL, no trailing slash).
func (op *OP) Issuer() string { return op.server.URL }

// JWKSURL is where the JWK Set is served.
func (op *OP) JWKSURL() string { return op.server.URL + JWKSPath }

// Server is the underlying httptest server.
func (op *OP) Server() *httptest.Server { return op.server }

// Mux is the OP's router: register further endpoints on it.
func (op *OP) Mux() *http.ServeMux { return op.mux }

// Requests counts the requests made so far to path (any method, any answer).
func (op *OP) Requests(path string) int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.hits[path]
}

// JWKSFetches counts the requests made so far to the JWK Set.
func (op *OP) JWKSFetches() int { return op.Requests(JWKSPath) }

// SetDiscovery sets one member of the discovery document; a nil value removes it.
func (op *OP) SetDiscovery(name string, value any) {
	op.mu.Lock()
	defer op.mu.Unlock()
	if value == nil {
		delete(op.discovery, name)
		return
	}
	op.discovery[name] = value
}

// Discovery returns a copy of the discovery document.
func (op *OP) Discovery() map[string]any {
	op.mu.Lock()
	defer op.mu.Unlock()
	return maps.Clone(op.discovery)
}

func (op *OP) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, "application/json", op.Discovery())
}

// SetJWKSHandler replaces what answers at JWKSPath (to answer 500, HTML,
// slowly...); nil restores ServeJWKS. Requests are counted either way.
func (op *OP) SetJWKSHandler(h http.HandlerFunc) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.jwks = h
}

// ServeJWKS writes the published keys as a JWK Set (RFC 7517 §5) with
// Content-Type application/jwk-set+json.
func (op *OP) ServeJWKS(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, "application/jwk-set+json", op.JWKS())
}

// JWKS returns the published public keys.
func (op *OP) JWKS() jose.JSONWebKeySet {
	op.mu.Lock()
	defer op.mu.Unlock()
	var set jose.JSONWebKeySet
	for _, k := range op.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Private.Public(), KeyID: k.ID, Algorithm: k.Alg, Use: k.Use})
	}
	return set
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Write(b)
}

// NewKey mints a key for alg with a fresh kid ("k1", "k2", ...) and use "sig";
// it is neither published nor used for signing until told so.
func (op *OP) NewKey(alg string) *Key {
	op.t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		op.t.Fatalf("testop: no key type for alg %q", alg)
	}
	if err != nil {
		op.t.Fatalf("testop: generating a %s key: %v", alg, err)
	}
	op.mu.Lock()
	op.nextKID++
	kid := "k" + strconv.Itoa(op.nextKID)
	op.mu.Unlock()
	return &Key{ID: kid, Alg: alg, Use: "sig", Private: priv}
}

// PublishKey adds k to the JWK Set. Its fields are copied: later edits do not show.
func (op *OP) PublishKey(k *Key) {
	op.mu.Lock()
	defer op.mu.Unlock()
	c := *k
	op.keys = append(op.keys, &c)
}

// RemoveKey takes the key with this kid out of the JWK Set.
func (op *OP) RemoveKey(kid string) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.keys = slices.DeleteFunc(op.keys, func(k *Key) bool { return k.ID == kid })
}

// AddKey mints a key for alg and publishes it; Sign still uses the signing key.
func (op *OP) AddKey(alg string) *Key {
	op.t.Helper()
	k := op.NewKey(alg)
	op.PublishKey(k)
	return k
}

// RotateKey mints a key with the signing key's alg, publishes it and makes it
// the signing key. The old key stays published, as at a real provider during
// rotation (OpenID Connect Core §10.1.1); RemoveKey retires it.
func (op *OP) RotateKey() *Key {
	op.t.Helper()
	k := op.AddKey(op.SigningKey().Alg)
	op.mu.Lock()
	op.signing = k
	op.mu.Unlock()
	return k
}

// SigningKey is the key Sign uses by default.
func (op *OP) SigningKey() *Key {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.signing
}

// Claims returns the claims of a valid ID token for clientID issued at now:
// iss, sub "alice", aud, iat, exp (now + 1h). Edit the map before Sign.
func (op *OP) Claims(clientID string, now time.Time) map[string]any {
	return map[string]any{
		"iss": op.Issuer(),
		"sub": "alice",
		"aud": clientID,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
}

// SignOption changes how Sign signs.
type SignOption func(*signConfig)

type signConfig struct {
	key   *Key
	kid   string
	noKID bool
	setID bool
}

// WithKey signs with k (published or not) instead of the signing key.
func WithKey(k *Key) SignOption { return func(c *signConfig) { c.key = k } }

// WithKID puts kid in the header instead of the key's own ID.
func WithKID(kid string) SignOption { return func(c *signConfig) { c.kid, c.setID = kid, true } }

// WithoutKID leaves kid out of the header.
func WithoutKID() SignOption { return func(c *signConfig) { c.noKID = true } }

// Sign returns claims as a compact JWS signed with the signing key (or the
// WithKey key) under its alg, with typ "JWT" and the key's kid.
func (op *OP) Sign(claims map[string]any, opts ...SignOption) string {
	op.t.Helper()
	c := signConfig{key: op.SigningKey()}
	for _, o := range opts {
		o(&c)
	}
	kid := c.key.ID
	if c.setID {
		kid = c.kid
	}
	so := (&jose.SignerOptions{}).WithType("JWT")
	if !c.noKID {
		so = so.WithHeader("kid", kid)
	}
	return op.sign(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(c.key.Alg), Key: c.key.Private}, so, claims)
}

// SignNone returns claims as an unsecured JWS: alg "none", empty signature
// (RFC 7519 §6). A verifier must refuse it.
func (op *OP) SignNone(claims map[string]any) string {
	op.t.Helper()
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	return header + "." + op.payload(claims) + "."
}

// SignHS256WithPublicKeyBytes signs claims with HS256, using the PEM encoding
// of the signing key's public key as the HMAC secret, with the signing key's
// kid: the algorithm-confusion attack on verifiers that let the token's alg
// pick how a key is used. A verifier must refuse it.
func (op *OP) SignHS256WithPublicKeyBytes(claims map[string]any) string {
	op.t.Helper()
	k := op.SigningKey()
	der, err := x509.MarshalPKIXPublicKey(k.Private.Public())
	if err != nil {
		op.t.Fatalf("testop: %v", err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	so := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.ID)
	return op.sign(jose.SigningKey{Algorithm: jose.HS256, Key: secret}, so, claims)
}

func (op *OP) payload(claims map[string]any) string {
	op.t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		op.t.Fatalf("testop: claims: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (op *OP) sign(key jose.SigningKey, so *jose.SignerOptions, claims map[string]any) string {
	op.t.Helper()
	signer, err := jose.NewSigner(key, so)
	if err != nil {
		op.t.Fatalf("testop: signer for %s: %v", key.Algorithm, err)
	}
	b, err := json.Marshal(claims)
	if err != nil {
		op.t.Fatalf("testop: claims: %v", err)
	}
	jws, err := signer.Sign(b)
	if err != nil {
		op.t.Fatalf("testop: signing: %v", err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		op.t.Fatalf("testop: %v", err)
	}
	return s
}

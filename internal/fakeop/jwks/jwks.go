// Package jwks is the fake OpenID Provider's keys: keys minted at test time,
// the JWK Set (RFC 7517 §5) that publishes them, and JWT signing with them,
// broken signatures for attack tests included.
//
// Package fakeop signs its ID tokens and serves its JWK Set with a Set. The
// internal tests of package spa cannot import fakeop (it imports spa), so they
// use this package alone: Server is an issuer whose one endpoint is its JWK
// Set, on an httptest.Server.
//
// Everything is safe for concurrent use. A misuse (an alg with no key type,
// claims that do not marshal) panics rather than calling t.Fatal, because
// fakeop signs inside its handlers, off the test's goroutine.
package jwks

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
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Key is a signing key. Set Use (default "sig") before PublishKey to publish
// it for another use.
type Key struct {
	ID      string
	Alg     string // JWS alg: RS256, PS256, ES256, ES384, ES512, EdDSA, ...
	Use     string // "use" in the JWK Set; "" leaves it out
	Private crypto.Signer
}

// Set is a provider's keys: those it publishes and the one it signs with.
type Set struct {
	mu      sync.Mutex
	keys    []*Key // published, in order
	signing *Key
	nextKID int
}

// NewSet returns a Set with one published signing key for alg, kid "k1".
func NewSet(alg string) *Set {
	s := &Set{}
	s.signing = s.AddKey(alg)
	return s
}

// NewKey mints a key for alg with a fresh kid ("k1", "k2", ...) and use "sig";
// it is neither published nor used for signing until told so.
func (s *Set) NewKey(alg string) *Key {
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
		panic("jwks: no key type for alg " + strconv.Quote(alg))
	}
	if err != nil {
		panic("jwks: generating a " + alg + " key: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextKID++
	return &Key{ID: "k" + strconv.Itoa(s.nextKID), Alg: alg, Use: "sig", Private: priv}
}

// PublishKey adds k to the JWK Set. Its fields are copied: later edits do not show.
func (s *Set) PublishKey(k *Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *k
	s.keys = append(s.keys, &c)
}

// RemoveKey takes the key with this kid out of the JWK Set.
func (s *Set) RemoveKey(kid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = slices.DeleteFunc(s.keys, func(k *Key) bool { return k.ID == kid })
}

// AddKey mints a key for alg and publishes it; Sign still uses the signing key.
func (s *Set) AddKey(alg string) *Key {
	k := s.NewKey(alg)
	s.PublishKey(k)
	return k
}

// RotateKey mints a key with the signing key's alg, publishes it and makes it
// the signing key. The old key stays published, as at a real provider during
// rotation (OpenID Connect Core §10.1.1); RemoveKey retires it.
func (s *Set) RotateKey() *Key {
	k := s.AddKey(s.SigningKey().Alg)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signing = k
	return k
}

// SigningKey is the key Sign uses by default.
func (s *Set) SigningKey() *Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signing
}

// JWKS returns the published public keys.
func (s *Set) JWKS() jose.JSONWebKeySet {
	s.mu.Lock()
	defer s.mu.Unlock()
	var set jose.JSONWebKeySet
	for _, k := range s.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Private.Public(), KeyID: k.ID, Algorithm: k.Alg, Use: k.Use})
	}
	return set
}

// ServeJWKS writes the published keys as a JWK Set with Content-Type
// application/jwk-set+json.
func (s *Set) ServeJWKS(w http.ResponseWriter, r *http.Request) {
	b, err := json.Marshal(s.JWKS())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Write(b)
}

// Claims returns the claims of a valid ID token from issuer for clientID
// issued at now: iss, sub "alice", aud, iat, exp (now + 1h). Edit the map
// before Sign.
func Claims(issuer, clientID string, now time.Time) map[string]any {
	return map[string]any{"iss": issuer, "sub": "alice", "aud": clientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
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
func (s *Set) Sign(claims map[string]any, opts ...SignOption) string {
	c := signConfig{key: s.SigningKey()}
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
	return sign(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(c.key.Alg), Key: c.key.Private}, so, claims)
}

// SignNone returns claims as an unsecured JWS: alg "none", empty signature
// (RFC 7519 §6). A verifier must refuse it.
func (s *Set) SignNone(claims map[string]any) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	return header + "." + base64.RawURLEncoding.EncodeToString(marshal(claims)) + "."
}

// SignHS256WithPublicKeyBytes signs claims with HS256, using the PEM encoding
// of the signing key's public key as the HMAC secret, with the signing key's
// kid: the algorithm-confusion attack on verifiers that let the token's alg
// pick how a key is used. A verifier must refuse it.
func (s *Set) SignHS256WithPublicKeyBytes(claims map[string]any) string {
	k := s.SigningKey()
	der, err := x509.MarshalPKIXPublicKey(k.Private.Public())
	if err != nil {
		panic("jwks: " + err.Error())
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	so := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.ID)
	return sign(jose.SigningKey{Algorithm: jose.HS256, Key: secret}, so, claims)
}

func marshal(claims map[string]any) []byte {
	b, err := json.Marshal(claims)
	if err != nil {
		panic("jwks: claims: " + err.Error())
	}
	return b
}

func sign(key jose.SigningKey, so *jose.SignerOptions, claims map[string]any) string {
	signer, err := jose.NewSigner(key, so)
	if err != nil {
		panic("jwks: signer for " + string(key.Algorithm) + ": " + err.Error())
	}
	jws, err := signer.Sign(marshal(claims))
	if err != nil {
		panic("jwks: signing: " + err.Error())
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		panic("jwks: " + err.Error())
	}
	return out
}

// JWKSPath is where Server serves the JWK Set.
const JWKSPath = "/jwks"

// Server is an issuer whose one endpoint is its Set's JWK Set, on an
// httptest.Server that closes when the test ends. Its issuer is the
// server's URL.
type Server struct {
	*Set
	server *httptest.Server

	mu      sync.Mutex
	handler http.HandlerFunc // nil: ServeJWKS
	fetches int
}

// NewServer starts a Server whose Set has one published signing key for alg.
func NewServer(t testing.TB, alg string) *Server {
	t.Helper()
	s := &Server{Set: NewSet(alg)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+JWKSPath, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		h := s.handler
		s.mu.Unlock()
		if h == nil {
			h = s.ServeJWKS
		}
		h(w, r)
	})
	s.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == JWKSPath {
			s.mu.Lock()
			s.fetches++
			s.mu.Unlock()
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.server.Close)
	return s
}

// Issuer is the issuer identifier: the server's URL, no trailing slash.
func (s *Server) Issuer() string { return s.server.URL }

// JWKSURL is where the JWK Set is served.
func (s *Server) JWKSURL() string { return s.server.URL + JWKSPath }

// Claims returns the claims of a valid ID token from this issuer (see Claims).
func (s *Server) Claims(clientID string, now time.Time) map[string]any {
	return Claims(s.Issuer(), clientID, now)
}

// JWKSFetches counts the requests made so far to the JWK Set (any method,
// any answer).
func (s *Server) JWKSFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// SetJWKSHandler replaces what answers at JWKSPath (to answer 500, HTML,
// slowly...); nil restores ServeJWKS. Requests are counted either way.
func (s *Server) SetJWKSHandler(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = h
}

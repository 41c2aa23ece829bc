package spa

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// Refetch policy of keySet.
const (
	// jwksRefetchInterval is the least time between two JWKS fetches caused by
	// the same unknown kid, or by a token without kid that no cached key verifies.
	jwksRefetchInterval = 10 * time.Second
	// jwksMaxMissed bounds the kids that may each cause an extra fetch inside
	// one interval, so a stream of made-up kids cannot hammer the endpoint.
	jwksMaxMissed = 8
	// jwksFetchTimeout bounds one JWKS fetch. It runs on behalf of every
	// waiting caller, so no single caller's context cancels it.
	jwksFetchTimeout = 30 * time.Second
)

// asymmetricAlgs are the JWS algorithms an ID token of a public client may
// use: the asymmetric ones of RFC 7518 §3.1 and RFC 8037 (the set go-oidc
// accepts). HS256 and friends need a shared secret, which a public client
// does not have (RFC 6749 §2.1), so a provider listing them in discovery does
// not make them acceptable; "none" is never acceptable.
var asymmetricAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

// allowedAlgs intersects a discovery document's
// id_token_signing_alg_values_supported with asymmetricAlgs, keeping the
// provider's order. An empty list means RS256, the algorithm every provider
// must support (OpenID Connect Discovery §3).
func allowedAlgs(discovered []string) []jose.SignatureAlgorithm {
	if len(discovered) == 0 {
		return []jose.SignatureAlgorithm{jose.RS256}
	}
	var out []jose.SignatureAlgorithm
	for _, a := range discovered {
		alg := jose.SignatureAlgorithm(a)
		if slices.Contains(asymmetricAlgs, alg) && !slices.Contains(out, alg) {
			out = append(out, alg)
		}
	}
	return out
}

// keySet is the provider's JWK Set (RFC 7517 §5), fetched through a Fetcher
// and cached in memory. It implements go-oidc's oidc.KeySet, so
// oidc.NewVerifier uses it without ever touching net/http's client.
//
// Rotation (OpenID Connect Core §10.1.1): a token whose kid is not cached, or
// a token without kid that no cached key verifies, refetches the set. All
// callers that need a fetch at the same time share one. After a fetch, the
// same miss does not fetch again for jwksRefetchInterval; a kid not yet looked
// for may (at most jwksMaxMissed of them per interval). A known kid whose
// signature fails is a bad token, not a rotation, and fetches nothing.
// A failed fetch is not cached: the next token tries again.
type keySet struct {
	fetcher Fetcher
	url     string
	algs    []jose.SignatureAlgorithm
	now     func() time.Time // monotonic time for the refetch interval; tests replace it

	mu        sync.Mutex
	keys      []jose.JSONWebKey // usable verification keys of the last fetch
	gen       uint64            // successful fetches so far; 0: never loaded
	fetchedAt time.Time         // of the last successful fetch
	missed    map[string]bool   // kids absent after a fetch in the current interval
	flight    *jwksFlight       // the fetch in progress, if any
}

// jwksFlight is one JWKS fetch that several callers wait for.
type jwksFlight struct {
	done chan struct{}
	keys []jose.JSONWebKey
	gen  uint64
	err  error
}

// newKeySet returns a key set for the JWKS at jwksURL that accepts tokens
// signed with algs (the discovery document's
// id_token_signing_alg_values_supported, see allowedAlgs). Nothing is fetched
// until the first verification.
func newKeySet(f Fetcher, jwksURL string, algs []string) *keySet {
	return &keySet{fetcher: f, url: jwksURL, algs: allowedAlgs(algs), now: time.Now}
}

// NewKeySet returns the provider's JWK Set at jwksURL, fetched through f, as
// an oidc.KeySet for oidc.NewVerifier (see keySet for the caching and
// refetch rules). algs is the discovery document's
// id_token_signing_alg_values_supported; only its asymmetric algorithms are
// accepted, and an empty list means RS256. It is safe for concurrent use.
func NewKeySet(f Fetcher, jwksURL string, algs []string) oidc.KeySet {
	return newKeySet(f, jwksURL, algs)
}

// VerifySignature parses jwt (JWS Compact Serialization), checks its signature
// against the provider's keys and returns the payload. It checks no claim:
// use it through verifyIDToken (oidc.IDTokenVerifier), never alone.
//
// go-oidc hands its already parsed JWS to its own key sets under an
// unexported context key, so this parses again; that costs microseconds.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	if len(k.algs) == 0 {
		return nil, newError(CodeInvalidIDToken, "", "the provider's id_token_signing_alg_values_supported names no asymmetric JWS algorithm")
	}
	jws, err := jose.ParseSignedCompact(jwt, k.algs)
	if err != nil {
		return nil, wrapError(CodeInvalidIDToken, "", err, "the ID token is not a JWS signed with one of %q", k.algs)
	}
	if len(jws.Signatures) != 1 {
		return nil, newError(CodeInvalidIDToken, "", "the ID token has %d signatures, want 1", len(jws.Signatures))
	}
	h := jws.Signatures[0].Header
	kid, alg := h.KeyID, jose.SignatureAlgorithm(h.Algorithm)

	keys, gen := k.cached()
	if gen > 0 {
		payload, candidates := verifyWithKeys(jws, keys, kid, alg)
		if payload != nil {
			return payload, nil
		}
		if kid != "" && candidates > 0 {
			return nil, newError(CodeInvalidIDToken, "", "the ID token's signature does not verify with the provider's key %q (%s)", kid, alg)
		}
	}
	keys, gen, err = k.refresh(ctx, gen, kid)
	if err != nil {
		return nil, err
	}
	payload, candidates := verifyWithKeys(jws, keys, kid, alg)
	if payload != nil {
		return payload, nil
	}
	switch {
	case kid != "" && candidates > 0:
		return nil, newError(CodeInvalidIDToken, "", "the ID token's signature does not verify with the provider's key %q (%s)", kid, alg)
	case kid != "":
		k.noteMiss(gen, kid)
		return nil, newError(CodeInvalidIDToken, "", "the provider's JWKS has no %s signing key with kid %q", alg, kid)
	case candidates > 0:
		return nil, newError(CodeInvalidIDToken, "", "the ID token (no kid) does not verify with any of the provider's %d %s keys", candidates, alg)
	default:
		return nil, newError(CodeInvalidIDToken, "", "the provider's JWKS has no %s signing key", alg)
	}
}

// cached returns the cached keys and their generation.
func (k *keySet) cached() ([]jose.JSONWebKey, uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys, k.gen
}

// noteMiss records that kid was absent from generation gen of the set, so it
// does not fetch again within the interval.
func (k *keySet) noteMiss(gen uint64, kid string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gen != gen {
		return
	}
	if k.missed == nil {
		k.missed = map[string]bool{}
	}
	k.missed[kid] = true
}

// mayFetch reports whether a miss on kid may fetch the set now. k.mu is held.
func (k *keySet) mayFetch(kid string) bool {
	if k.gen == 0 {
		return true
	}
	if elapsed := k.now().Sub(k.fetchedAt); elapsed >= jwksRefetchInterval || elapsed < 0 {
		return true
	}
	return kid != "" && !k.missed[kid] && len(k.missed) < jwksMaxMissed
}

// refresh returns keys newer than generation seen: the cache when another
// caller fetched meanwhile, else the result of the fetch in flight, else of a
// new fetch when the policy allows one. It waits at most until ctx is done.
func (k *keySet) refresh(ctx context.Context, seen uint64, kid string) ([]jose.JSONWebKey, uint64, error) {
	k.mu.Lock()
	if k.gen != seen {
		keys, gen := k.keys, k.gen
		k.mu.Unlock()
		return keys, gen, nil
	}
	f := k.flight
	if f == nil {
		if !k.mayFetch(kid) {
			k.mu.Unlock()
			if kid == "" {
				return nil, 0, newError(CodeInvalidIDToken, "", "the ID token (no kid) does not verify with any key of the provider's JWKS, fetched less than %v ago", jwksRefetchInterval)
			}
			return nil, 0, newError(CodeInvalidIDToken, "", "the provider's JWKS has no key with kid %q (fetched less than %v ago)", kid, jwksRefetchInterval)
		}
		f = &jwksFlight{done: make(chan struct{})}
		k.flight = f
		go k.run(context.WithoutCancel(ctx), f)
	}
	k.mu.Unlock()
	select {
	case <-f.done:
		return f.keys, f.gen, f.err
	case <-ctx.Done():
		return nil, 0, ContextError(ctx, "waiting for the provider's JWKS from "+RedactURL(k.url))
	}
}

// prefetch starts fetching the set when it has never been loaded and no fetch
// is in flight, and returns at once: a callback page fetches the JWKS while
// the code is being exchanged, and the verification then joins that fetch
// (refresh) instead of starting its own after the token answer. A failed
// prefetch is not cached, so the verification fetches again.
func (k *keySet) prefetch(ctx context.Context) {
	go k.refresh(context.WithoutCancel(ctx), 0, "") // nothing when loaded (gen != 0)
}

// run performs flight f and publishes its result.
func (k *keySet) run(ctx context.Context, f *jwksFlight) {
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	keys, err := k.fetch(ctx)

	k.mu.Lock()
	if err == nil {
		now := k.now()
		if k.gen == 0 || now.Sub(k.fetchedAt) >= jwksRefetchInterval || now.Before(k.fetchedAt) {
			k.missed = nil // a new interval begins
		}
		k.keys, k.fetchedAt = keys, now
		k.gen++
		f.keys, f.gen = keys, k.gen
	}
	f.err = err
	k.flight = nil
	k.mu.Unlock()
	close(f.done)
}

// fetch GETs the JWK Set and returns its usable signature keys.
func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	h := http.Header{}
	// Revalidate rather than a Cache-Control request header: in a browser that
	// header is not CORS-safelisted and would make every JWKS fetch preflighted.
	h.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := k.fetcher.Fetch(ctx, &Request{Method: http.MethodGet, URL: k.url, Header: h, Revalidate: true})
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, wrapError(CodeNetwork, "", err, "fetching the provider's JWKS from %s", RedactURL(k.url))
	}
	where := "the provider's JWKS endpoint " + RedactURL(k.url)
	if resp.Status != http.StatusOK {
		return nil, newError(CodeInvalidResponse, "", "%s answered HTTP %d, want 200", where, resp.Status)
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && mt != "application/jwk-set+json") {
		return nil, newError(CodeInvalidResponse, "", "%s answered Content-Type %q, want application/jwk-set+json or application/json (RFC 7517 §8.5)", where, ct)
	}
	keys, err := parseJWKS(resp.Body)
	if err != nil {
		return nil, wrapError(CodeInvalidResponse, "", err, "%s answered a malformed JWK Set", where)
	}
	return keys, nil
}

// parseJWKS returns the keys of a JWK Set that can verify a signature: public
// asymmetric keys whose use, when present, is "sig" and whose key_ops, when
// present, contain "verify" (RFC 7517 §4.2, §4.3). Keys of unknown type or
// algorithm are skipped, not fatal (RFC 7517 §5: "Implementations SHOULD
// ignore JWKs within a JWK Set that use "kty" (key type) values that are not
// understood by them, that are missing required members, or for which values
// are out of the supported ranges"). Private key members are dropped.
func parseJWKS(body []byte) ([]jose.JSONWebKey, error) {
	var doc struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	if doc.Keys == nil {
		return nil, errors.New(`no "keys" member (RFC 7517 §5)`)
	}
	var keys []jose.JSONWebKey
	for _, raw := range *doc.Keys {
		var meta struct {
			Use    string   `json:"use"`
			Alg    string   `json:"alg"`
			KeyOps []string `json:"key_ops"`
		}
		if json.Unmarshal(raw, &meta) != nil {
			continue
		}
		if meta.Use != "" && meta.Use != "sig" ||
			meta.KeyOps != nil && !slices.Contains(meta.KeyOps, "verify") ||
			meta.Alg != "" && !slices.Contains(asymmetricAlgs, jose.SignatureAlgorithm(meta.Alg)) {
			continue
		}
		var jwk jose.JSONWebKey
		if jwk.UnmarshalJSON(raw) != nil {
			continue
		}
		pub := jwk.Public()
		if !pub.Valid() || !pub.IsPublic() {
			continue
		}
		keys = append(keys, pub)
	}
	return keys, nil
}

// verifyWithKeys tries the keys that fit the token's alg (and kid, when it has
// one). It returns the payload on success, and how many keys were tried.
func verifyWithKeys(jws *jose.JSONWebSignature, keys []jose.JSONWebKey, kid string, alg jose.SignatureAlgorithm) ([]byte, int) {
	tried := 0
	for i := range keys {
		key := &keys[i]
		if kid != "" && key.KeyID != kid || !keyFits(key, alg) {
			continue
		}
		tried++
		if payload, err := jws.Verify(key); err == nil {
			return payload, tried
		}
	}
	return nil, tried
}

// keyFits reports whether key may verify a signature made with alg: its alg,
// when present, is alg, and its type and curve are the ones alg uses
// (RFC 7518 §3.1, RFC 8037 §3.1).
func keyFits(key *jose.JSONWebKey, alg jose.SignatureAlgorithm) bool {
	if key.Algorithm != "" && key.Algorithm != string(alg) {
		return false
	}
	switch pub := key.Key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(string(alg), "RS") || strings.HasPrefix(string(alg), "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case jose.ES256:
			return pub.Curve == elliptic.P256()
		case jose.ES384:
			return pub.Curve == elliptic.P384()
		case jose.ES512:
			return pub.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	}
	return false
}

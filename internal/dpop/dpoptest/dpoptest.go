// Package dpoptest builds DPoP proofs (RFC 9449 §4.2) for tests of the
// development provider and the demo APIs, the way a browser client would:
// an ES256 key generated with crypto/ecdsa, a JWS with typ dpop+jwt and the
// public key in the jwk header, signed with go-jose.
package dpoptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcwasm/oidcwasm/internal/dpop"
)

// Key is a client's DPoP key pair.
type Key struct {
	Private *ecdsa.PrivateKey
	JWK     jose.JSONWebKey // the public key
}

// NewKey generates a P-256 key. It panics if the system has no randomness.
func NewKey() *Key {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return &Key{Private: priv, JWK: jose.JSONWebKey{Key: &priv.PublicKey, Algorithm: string(jose.ES256)}}
}

// JKT is the key's RFC 7638 thumbprint, as cnf.jkt carries it.
func (k *Key) JKT() string {
	t, err := dpop.Thumbprint(&k.JWK)
	if err != nil {
		panic(err)
	}
	return t
}

// Proof is a proof for method and url; accessToken (may be "") sets ath,
// nonce (may be "") sets nonce. jti is random and iat is now.
func (k *Key) Proof(method, url, accessToken, nonce string) string {
	claims := Claims(method, url)
	if accessToken != "" {
		claims["ath"] = dpop.ATH(accessToken)
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	return k.Sign(nil, claims)
}

// Claims are the required claims for method and url: a random jti and iat
// now.
func Claims(method, url string) map[string]any {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return map[string]any{"jti": base64.RawURLEncoding.EncodeToString(b), "htm": method, "htu": url,
		"iat": time.Now().Unix()}
}

// Sign signs claims with ES256. The protected header has typ dpop+jwt and
// the public jwk unless header overrides them: a key with value nil is
// left out, any other value replaces the default ("jwk" may be any JSON
// value, e.g. a private JWK).
func (k *Key) Sign(header map[string]any, claims map[string]any) string {
	opts := new(jose.SignerOptions)
	hdr := map[string]any{"typ": dpop.JWTType, "jwk": k.JWK}
	for name, v := range header {
		if v == nil {
			delete(hdr, name)
		} else {
			hdr[name] = v
		}
	}
	for name, v := range hdr {
		opts.WithHeader(jose.HeaderKey(name), v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.Private}, opts)
	if err != nil {
		panic(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		panic(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return out
}

// Unsigned builds a JWS with the given header and claims and a signature of
// sig, unchecked: for "alg":"none" and other proofs go-jose would not make.
func Unsigned(header, claims map[string]any, sig []byte) string {
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(header) + "." + enc(claims) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

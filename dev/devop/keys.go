package devop

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// rsaBits is the size of generated RSA keys (RFC 7518 §3.3: at least 2048).
const rsaBits = 2048

// signingKey is one RS256 key pair. It implements op.SigningKey for the
// private half and op.Key for the public half.
type signingKey struct {
	id      string
	private *rsa.PrivateKey
	// retireAt is zero for the current key; for a rotated-out key it is the
	// end of its grace period, after which it leaves the JWKS.
	retireAt time.Time
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is the JWKS view of a signingKey (RFC 7517 §4).
type publicKey struct{ *signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.private.PublicKey }

// privateKey is the signer's view of a signingKey.
type privateKey struct{ *signingKey }

func (k privateKey) Key() any { return k.private }

// keyRing holds the current signing key and the rotated-out keys that are
// still published. Safe for concurrent use.
type keyRing struct {
	grace time.Duration
	now   func() time.Time

	mu   sync.Mutex
	keys []*signingKey // keys[len-1] is current
}

func newKeyRing(grace time.Duration, now func() time.Time) (*keyRing, error) {
	r := &keyRing{grace: grace, now: now}
	if err := r.rotate(); err != nil {
		return nil, err
	}
	return r, nil
}

// rotate generates a new current key. The previous key stays in the JWKS for
// the grace period so relying parties can verify tokens it signed, as OpenID
// Connect Core §10.1.1 expects of signing key rotation.
func (r *keyRing) rotate() error {
	priv, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return fmt.Errorf("devop: generate signing key: %w", err)
	}
	k := &signingKey{id: randomID(12), private: priv}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if n := len(r.keys); n > 0 {
		r.keys[n-1].retireAt = now.Add(r.grace)
	}
	r.keys = append(r.prune(now), k)
	return nil
}

// prune drops keys whose grace period is over. Callers hold mu.
func (r *keyRing) prune(now time.Time) []*signingKey {
	kept := r.keys[:0]
	for _, k := range r.keys {
		if k.retireAt.IsZero() || now.Before(k.retireAt) {
			kept = append(kept, k)
		}
	}
	return kept
}

// current returns the key new tokens are signed with.
func (r *keyRing) current() op.SigningKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	return privateKey{r.keys[len(r.keys)-1]}
}

// published returns the public keys of the JWKS, current key first.
func (r *keyRing) published() []op.Key {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = r.prune(r.now())
	out := make([]op.Key, 0, len(r.keys))
	for i := len(r.keys) - 1; i >= 0; i-- {
		out = append(out, publicKey{r.keys[i]})
	}
	return out
}

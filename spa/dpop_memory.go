package spa

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"sync"
)

// NewMemoryDPoPKeys returns DPoPKeys that keep P-256 keys in memory, for
// native programs and tests; they end with the process.
func NewMemoryDPoPKeys() *MemoryDPoPKeys { return &MemoryDPoPKeys{} }

// MemoryDPoPKeys are DPoP keys in memory (NewMemoryDPoPKeys).
type MemoryDPoPKeys struct {
	mu   sync.Mutex
	keys map[string]*memoryDPoPKey
}

// Key returns configID's key, made on first use.
func (k *MemoryDPoPKeys) Key(ctx context.Context, configID string) (DPoPKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key := k.keys[configID]; key != nil {
		return key, nil
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	if k.keys == nil {
		k.keys = map[string]*memoryDPoPKey{}
	}
	key := &memoryDPoPKey{priv: priv}
	k.keys[configID] = key
	return key, nil
}

// Delete forgets configID's key.
func (k *MemoryDPoPKeys) Delete(configID string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.keys, configID)
}

type memoryDPoPKey struct{ priv *ecdsa.PrivateKey }

// PublicJWK is the RFC 7517 JWK of the public key (RFC 7518 §6.2.1).
func (k *memoryDPoPKey) PublicJWK() []byte {
	x, y := make([]byte, 32), make([]byte, 32)
	k.priv.PublicKey.X.FillBytes(x) //nolint:staticcheck // the coordinates are what a JWK holds
	k.priv.PublicKey.Y.FillBytes(y) //nolint:staticcheck
	return []byte(`{"kty":"EC","crv":"P-256","x":"` + b64url(x) + `","y":"` + b64url(y) + `"}`)
}

// Sign returns the ES256 signature R || S (RFC 7518 §3.4).
func (k *memoryDPoPKey) Sign(ctx context.Context, input []byte) ([]byte, error) {
	sum := sha256.Sum256(input)
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, sum[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out, nil
}

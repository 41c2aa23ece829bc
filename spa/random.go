package spa

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
)

// randomString returns n random bytes, base64url-encoded without padding.
func randomString(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// s256 is the PKCE S256 code challenge of a verifier (RFC 7636 §4.2).
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// noCompare, as a field, makes a struct type incomparable: the compiler then
// emits no equality function for it, which every comparable struct that is
// ever boxed (JSON, events) otherwise costs in the wasm.
type noCompare [0]func()

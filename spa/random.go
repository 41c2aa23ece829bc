package spa

import (
	"encoding/base64"
	"io"
)

// randomString returns n random bytes of r, base64url-encoded without
// padding: state, nonce and the PKCE verifier (32 bytes, 43 characters, RFC
// 7636 §4.1). x/oauth2's GenerateVerifier is not used for the verifier: it
// reads crypto/rand itself, so Options.Rand could not reach it, and it
// panics where a failed read must be an error.
func randomString(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// noCompare, as a field, makes a struct type incomparable: the compiler then
// emits no equality function for it, which every comparable struct that is
// ever boxed (JSON, events) otherwise costs in the wasm.
type noCompare [0]func()

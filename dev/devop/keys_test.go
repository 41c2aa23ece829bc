package devop_test

import (
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// TestRotateKey checks that after a rotation new tokens are signed by the
// new key while the old public key stays in the JWKS, so tokens signed
// before still verify.
func TestRotateKey(t *testing.T) {
	srv := start(t, devop.Config{})
	before := signInOffline(t, srv, "k")
	oldKid, _ := verify(t, jwks(t, srv), before.IDToken)

	if err := srv.RotateKey(); err != nil {
		t.Fatal(err)
	}
	after := refresh(t, srv, before.RefreshToken)
	set := jwks(t, srv)
	newKid, _ := verify(t, set, after.IDToken)
	atKid, _ := verify(t, set, after.AccessToken)
	if newKid == oldKid || atKid != newKid {
		t.Errorf("after rotation: ID token kid %q, access token kid %q, old kid %q; want both on a new key", newKid, atKid, oldKid)
	}
	verify(t, set, before.IDToken) // old key still published
	verify(t, set, before.AccessToken)
	if len(set.Keys) != 2 || set.Keys[0].KeyID != newKid {
		t.Errorf("JWKS has %d keys, first %q; want 2 with the current key first", len(set.Keys), set.Keys[0].KeyID)
	}
	for _, k := range set.Keys {
		if k.Algorithm != "RS256" || k.Use != "sig" || !k.IsPublic() {
			t.Errorf("JWKS key %q: alg %q use %q public %v", k.KeyID, k.Algorithm, k.Use, k.IsPublic())
		}
	}
}

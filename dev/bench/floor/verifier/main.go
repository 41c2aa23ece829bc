//go:build js && wasm

// Command verifier is the start-up floor of a Go wasm that verifies ID
// tokens with the libraries docs/DESIGN.md names: a JWK Set parsed by go-jose and
// go-oidc's IDTokenVerifier over it. Every oidcwasm build links at least
// this. Its main defines floorVerify(jwks, issuer, clientID, idToken), which
// returns "" when the token verifies and the error otherwise, and registers
// with oidc.js at once; the page calls floorVerify, so the linker keeps the
// whole verification path. See dev/bench/pages/floor.html.
package main

import (
	"context"
	"crypto"
	"encoding/json"
	"syscall/js"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

func verify(jwks, issuer, clientID, idToken string) error {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(jwks), &set); err != nil {
		return err
	}
	var keys []crypto.PublicKey
	for _, k := range set.Keys {
		keys = append(keys, k.Key)
	}
	v := oidc.NewVerifier(issuer, &oidc.StaticKeySet{PublicKeys: keys}, &oidc.Config{ClientID: clientID})
	_, err := v.Verify(context.Background(), idToken)
	return err
}

func main() {
	js.Global().Set("floorVerify", js.FuncOf(func(_ js.Value, a []js.Value) any {
		if err := verify(a[0].String(), a[1].String(), a[2].String(), a[3].String()); err != nil {
			return err.Error()
		}
		return ""
	}))
	js.Global().Get("__oidcwasm_boot").Call("register", js.ValueOf(map[string]any{}))
	select {}
}

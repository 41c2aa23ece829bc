//go:build js

package spa

// defaultDPoP: none in the browser. A key made in Go would sit in Go
// memory; package web's keys are non-extractable WebCrypto keys.
func defaultDPoP() DPoP { return DPoP{} }

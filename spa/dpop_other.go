//go:build !js

package spa

// defaultDPoP: natively, keys in memory. In the browser the caller passes
// web's IndexedDB keys (a key made here would live in Go memory).
func defaultDPoP() DPoP { return NewDPoP(NewMemoryDPoPKeys()) }

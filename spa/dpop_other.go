//go:build !js

package spa

// defaultDPoPKeys: natively, keys in memory. In the browser the caller
// passes web's IndexedDB keys (a key made here would live in Go memory).
func defaultDPoPKeys() DPoPKeys { return NewMemoryDPoPKeys() }

// Command wasm is the JS bridge: built with GOOS=js GOARCH=wasm into oidc.wasm,
// it wires package web, spa and silentrefresh together and exports
// globalThis.oidc, whose Promise API follows angular-auth-oidc-client's names.
// oidc.js loads it; oidc.d.ts declares it.
package main

// Package demo is the demo server of oidcwasm: everything `make demo` runs,
// on loopback only, as a library so the end-to-end tests start the very same
// thing (dev/e2etest) with free ports and auto-login.
//
// Start runs:
//
//   - two development OpenID Providers (package devop), issuers
//     http://localhost:ProviderAPort and http://localhost:ProviderBPort, each
//     with the public client "demo-a" or "demo-b" registered for the pages
//     below, and a confidential client the sample APIs introspect with;
//     or, with Config.Issuer and Config.ClientID, no provider at all and one
//     config for that external provider;
//
//   - the app server, http://localhost:AppPort:
//
//     /                     static/ (the go-app demo when built; else a landing page)
//     /bridge/              static/bridge/: the plain HTML+JS bridge demo
//     /oidc/                static/oidc/: oidc.js, oidc.wasm (application/wasm), ...
//     /demo.json            the settings of the pages, for the ports in use (Settings)
//     /silent-refresh.html  silentrefresh.Handler()
//     /api/a/               API A: checks provider A's tokens (aud demo-a)
//     /apix/                echo: look-alike sibling path of the route /api
//     /echo                 echo: a URL no config lists
//
//   - the API server, http://localhost:APIPort:
//
//     /api/b/               API B: checks provider B's tokens (aud demo-b)
//     /*                    echo; /api/a/ here is the "same host, other port" look-alike
//
// The app server is also reachable as http://127.0.0.1:AppPort, the "same
// server under another host name" look-alike of API A.
//
// The sample APIs verify a bearer token's signature against the provider's
// JWKS, its iss, aud (the SPA's client ID) and exp, and ask the provider's
// introspection endpoint (RFC 7662) whether it was revoked. They answer JSON
// (APIResponse) with authorization "none", "valid" or "invalid", and 401 with
// a Bearer challenge (RFC 6750 §3) unless the token is valid. Echo endpoints
// answer "none" or "present". No answer ever holds a token: a token is shown
// as its Fingerprint. Both servers answer CORS for the app origin only, with
// the Authorization and DPoP headers allowed and WWW-Authenticate and
// DPoP-Nonce exposed.
//
// DPoP (RFC 9449 §7): a token with cnf.jkt must come as "Authorization:
// DPoP <token>" with a DPoP proof of that key for the request (htm, htu =
// the API URL as the browser addressed it, without query; ath; fresh iat;
// unused jti), checked by package devop/dpop as the provider checks its
// own; a token without cnf must come as Bearer. Refusals are 401 with a
// DPoP challenge, error="invalid_token" or "invalid_dpop_proof", and a
// JSON reason. The request log (Request) records the scheme, whether a
// proof came, and the accepted proof's short jkt and jti.
//
// Tests read what the APIs saw with Requests, make an API refuse tokens
// with RejectNext, and make an API ask for DPoP nonces (§9, use_dpop_nonce
// with DPoP-Nonce) with RequireDPoPNonce and RotateDPoPNonce; the
// providers' own switches are on ProviderA/ProviderB.
package demo

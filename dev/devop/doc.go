// Package devop is a development OpenID Provider for tests and demos, built
// on the OpenID Certified github.com/zitadel/oidc/v3/pkg/op. It keeps
// everything in memory, listens on loopback only, and can be started in
// process any number of times (each with its own issuer, port and state).
//
// What it does, and where the rule comes from:
//
//   - discovery (OpenID Connect Discovery 1.0 §4) with
//     authorization_response_iss_parameter_supported, and a JWKS of RS256
//     keys generated at start; RotateKey keeps the old public key published
//     for Config.KeyGracePeriod;
//   - the authorization code flow with PKCE S256 (RFC 7636), required for
//     public clients, with exact redirect URI matching (RFC 6749 §3.1.2.3);
//   - the RFC 9207 iss parameter on every authorization response;
//   - a login page with seeded users (DefaultUsers: alice/alice, bob/bob), a
//     session cookie that prompt=none relies on (OpenID Connect Core
//     §3.1.2.6: login_required without one), and an opt-in auto-login;
//   - JWT access tokens whose aud contains the client ID, refresh tokens only
//     with offline_access, rotated on every use, reuse answered with
//     invalid_grant (RFC 9700 §4.14.2);
//   - resource indicators (RFC 8707) for the Config.Resources: named at
//     /authorize (unknown ones answered invalid_target), one per token
//     request, they get an access token with aud = [resource] and the
//     scopes that resource takes (see Resource);
//   - pushed authorization requests (RFC 9126) at /par: the form of an
//     authorization request, validated as /authorize would (client, exact
//     redirect_uri, response_type, PKCE for public clients, resource), no
//     request_uri inside (§2.1); 201 with a one-time request_uri that
//     expires after Config.PushedRequestLifetime (default 60s). /authorize
//     with client_id and request_uri uses the pushed parameters only (§4);
//     a used or expired one is invalid_request_uri at the pushed redirect
//     URI, an unknown one a 400 page. Config.RequirePushedAuthorizationRequests
//     refuses requests that were not pushed (§5);
//   - DPoP (RFC 9449) with ES256 proofs (package dpop checks them, §4.3):
//     a token request with a DPoP header gets token_type DPoP and an access
//     token with cnf.jkt (§5, §6); a public client's refresh tokens are
//     bound to the key, so a refresh without a proof of it is invalid_grant
//     and does not use the token up; dpop_jkt at /authorize or a proof at
//     /par binds the code (§10); a bad proof is 400 invalid_dpop_proof;
//     optional server nonces (§8, use_dpop_nonce with DPoP-Nonce);
//     userinfo takes a bound token with the DPoP scheme and a proof with
//     ath (§7) and refuses it as Bearer (401, DPoP challenge);
//     Config.DPoPProofWindow bounds iat (default 60s) and the jti replay
//     cache. Without a DPoP header everything is Bearer, as before;
//   - revocation (RFC 7009), userinfo, introspection for confidential
//     clients (RFC 7662), and RP-initiated logout (end_session);
//   - front-channel logout (OpenID Connect Front-Channel Logout 1.0): ID
//     tokens carry the browser session as sid, discovery says
//     frontchannel_logout_supported and frontchannel_logout_session_supported,
//     and when a session ends in the browser (end_session, or the provider's
//     own sign-out page /signout) the page renders an iframe of each of its
//     clients' Client.FrontchannelLogoutURI, with iss and sid for those with
//     FrontchannelLogoutSessionRequired; end_session then goes on to its
//     redirect. EndSessions ends sessions without it (no browser is there);
//   - session management (OpenID Connect Session Management 1.0):
//     session_state on every successful authorization response, and the
//     check_session_iframe /check_session, which compares it with the OP
//     browser state in a cookie its script reads (new per sign-in, cleared
//     by a sign-out in the browser);
//   - CORS for the configured SPA origins only, allowing the DPoP request
//     header and exposing DPoP-Nonce and WWW-Authenticate;
//   - fault switches and request counts for tests, as Server methods and
//     under a loopback-only /admin/ path.
//
// A test starts one like this:
//
//	srv, err := devop.Start(ctx, devop.Config{
//		Clients: []devop.Client{{
//			ID:                     "spa",
//			RedirectURIs:           []string{"http://localhost:8080/", "http://localhost:8080/silent-refresh.html"},
//			PostLogoutRedirectURIs: []string{"http://localhost:8080/"},
//		}},
//		AutoLogin: "alice",
//	})
//	defer srv.Close()
//	authority := srv.Issuer() // http://localhost:PORT
//	srv.FailNextToken(1, devop.FailStatus500)
//	n := srv.Counts()["token:refresh_token"]
//
// Endpoints (relative to the issuer): /.well-known/openid-configuration,
// /keys, /authorize, /par, /login, /oauth/token, /userinfo, /revoke,
// /oauth/introspect, /end_session, /logged-out, /signout, /check_session,
// /admin/.
//
// The switches over HTTP (loopback peers only, and no Origin header, so a web
// page cannot reach them), each the face of a Server method:
//
//	GET  /admin/counts                              Counts, as a JSON object
//	POST /admin/counts/reset                        ResetCounts
//	POST /admin/fail-token?n=2&mode=500|close       FailNextToken
//	POST /admin/delay?endpoint=token&duration=2s    Delay (duration=0 removes it)
//	POST /admin/rotate-key                          RotateKey
//	POST /admin/end-sessions                        EndSessions
//	POST /admin/auto-login?user=alice               SetAutoLogin (user= turns it off)
//	POST /admin/dpop-nonce?on=1|0                   RequireDPoPNonce
//	POST /admin/dpop-nonce/rotate                   RotateDPoPNonce
//
// Counts has a key per Endpoint (e.g. "par" for /par) and per grant type.
//
// Sessions live until end_session, EndSessions or Close. Each provider names
// its session cookie after its port, because browsers share cookies across
// the ports of a host. Silent renewal in a hidden iframe needs the SPA and
// the provider to be same-site (e.g. both on localhost) since the cookie is
// SameSite=Lax.
//
// Tokens are never logged. zitadel's op logs protocol errors through
// log/slog's default logger.
package devop

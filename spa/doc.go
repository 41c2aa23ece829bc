// Package spa is the protocol and session core of oidcwasm: OpenID Connect for
// single-page applications with the authorization code flow and PKCE
// (RFC 6749 §4.1, RFC 7636, OpenID Connect Core §3.1).
//
// It is plain Go without syscall/js, so all of it is tested natively. The
// browser comes in through small interfaces: a Fetcher (window.fetch), a Store
// (Web Storage), a Clock, a Locker (Web Locks) and a Renewer hook (package
// silentrefresh).
//
// The flow:
//
//	m := spa.NewManager(spa.Options{Fetcher: f, Stores: stores})
//	err := m.Configure(ctx, []spa.Config{{ConfigID: "api", Authority: ..., ClientID: ..., RedirectURL: ...}})
//	authURL, err := m.Authorize(ctx, "api", spa.AuthorizeOptions{})   // navigate there
//	// ... the provider redirects back ...
//	cb, err := m.ValidateCallback(ctx, location)                     // state, iss, error checks
//	sess, err := m.Exchange(ctx, cb)                                  // code + PKCE, ID token, userinfo
//	tok, err := m.AccessToken(ctx, "api")                             // renews when stale, single-flight
//	id, ok := m.MatchRoute(requestURL, documentURL)                   // which token may go where
package spa

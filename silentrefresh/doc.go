// Package silentrefresh keeps sessions fresh: it decides when to renew (at
// Config.TimeoutFactor of the access token's lifetime, re-checked against the wall
// clock), how (the refresh token when the session has one, else a hidden iframe
// with prompt=none, OpenID Connect Core §3.1.2.1), and what a failure means. It
// embeds silent-refresh.html, the page that answers the iframe by postMessage,
// and serves it with an http.Handler.
package silentrefresh

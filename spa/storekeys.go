package spa

import "slices"

// StoreKeys are the keys of a config's Store that restoring its session
// reads, and nothing else: the session and the provider's kept discovery
// document. With both there, Configure and CheckAuth need no network for
// that config (a kept document is used even when old). The JS bridge names
// them in what it lets oidc.js answer before the module runs, so that
// oidc.js answers only while they are as Go left them.
func StoreKeys(configID string) (session, discovery string) {
	return sessionKey(configID), discoveryKey(configID)
}

// ResponseParams are the parameters an authorization response may carry
// (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 §2; OpenID Connect Session §2),
// state also being the one parameter of a logoff's return (RP-Initiated
// Logout 1.0 §3). A URL without any of them in its query and its fragment
// is neither (IsCallbackURL, TakeLogoutReturn).
func ResponseParams() []string { return slices.Clone(callbackParams) }

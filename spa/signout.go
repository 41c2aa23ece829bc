package spa

// Sign-out from elsewhere (docs/DESIGN.md): a session that the provider ended
// ends here too, in every tab, with EventLoggedOut's Reason ReasonProvider.
// Front-channel logout is in frontchannel.go, check-session in
// checksession.go; this file holds what they share and the third way, a
// provider that refuses the session's token.

// reasonOf is the EventLoggedOut Reason of a session ended with code why.
func reasonOf(why string) string {
	if EndsSession(why) {
		return ReasonProvider
	}
	return ""
}

// validateSignOut checks the fields of "Sign-out from elsewhere".
func (c *Config) validateSignOut() error {
	id := c.ConfigID
	if err := checkURL(id, "frontchannelLogoutUrl", c.FrontchannelLogoutURL, false); err != nil {
		return err
	}
	if c.FrontchannelLogoutURL != "" && origin(c.FrontchannelLogoutURL) != origin(c.RedirectURL) {
		return configError(id, "frontchannelLogoutUrl", "%q is not on the origin of redirectUrl (%s): the page reaches the app's tabs through its own origin's BroadcastChannel and localStorage",
			c.FrontchannelLogoutURL, origin(c.RedirectURL))
	}
	if c.CheckSessionInterval < 0 {
		return configError(id, "checkSessionIntervalInSeconds", "must be positive")
	}
	return nil
}

// signOutWarning says so when a config asks for front-channel logout or
// check-session that its provider's discovery does not offer.
func signOutWarning(p *provider) string {
	switch {
	case p.cfg.FrontchannelLogoutURL != "" && !p.disc.FrontchannelSession:
		return "frontchannelLogoutUrl is set, but the provider's discovery does not say frontchannel_logout_session_supported: " +
			"a logout request without iss and sid ends no session here (OpenID Connect Front-Channel Logout 1.0 §3)"
	case p.cfg.CheckSession && p.disc.CheckSessionIframe == "":
		return "checkSession is on, but the provider's discovery names no check_session_iframe: the session is not watched (OpenID Connect Session Management 1.0 §3.3)"
	}
	return ""
}

// endOnRefusal ends p's session when err is a userinfo 401 (login_required)
// for token and token is still the session's: without a retry, the provider
// has ended what the token stood for (docs/DESIGN.md, "Sign-out from elsewhere").
// It returns err.
func (m *Manager) endOnRefusal(p *provider, token string, err error) error {
	if ErrorCode(err) == CodeLoginRequired {
		if s := p.session.Load(); s != nil && s.AccessToken == token {
			m.endSession(p, CodeLoginRequired)
		}
	}
	return err
}

// EndedElsewhere ends configID's session here because another tab's ended
// with reason (web.Broadcast carries it), so that loggedOut says in every tab
// who ended it. A session of the tab's own (sessionStorage, memory) ends, and
// so does one in the store shared with that tab (StorageLocal) once it is
// gone from there too; while it is still there, the other tab's write has
// not arrived yet, or another session began, and Reload says whether
// anything changed. It reports whether the tab now agrees with the other
// tab's news (nothing left to wait for).
func (m *Manager) EndedElsewhere(configID, reason string) (bool, error) {
	p, err := m.provider(configID)
	if err != nil {
		return false, err
	}
	if p.cfg.Storage == StorageLocal && readSession(p.store, &p.cfg) != nil {
		return m.Reload(configID)
	}
	m.endSessionWith(p, "", reason)
	return true, nil
}

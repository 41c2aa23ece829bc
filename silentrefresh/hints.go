package silentrefresh

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"

	"github.com/oidcwasm/oidcwasm/spa"
)

// thirdPartyCookieHint gives an iframe renewal's login_required the likely
// cause when the provider is on another site than the app: a prompt=none
// request (OpenID Connect Core §3.1.2.1) can only find the user's session
// through the provider's cookie, and browsers do not send that cookie to a
// cross-site iframe: Firefox partitions it (Total Cookie Protection),
// WebKit/Safari blocks third-party cookies, and a SameSite=Lax or Strict
// cookie is never sent there in any browser (RFC 6265bis §5.6.7). The
// provider then answers login_required at once, though the user is signed
// in there; the cure is a refresh token, which needs no cookie. Other
// errors, and a provider on the app's own site, come back unchanged.
func thirdPartyCookieHint(err error, cfg *spa.Config) error {
	var e *spa.Error
	if !errors.As(err, &e) || e.Code != spa.CodeLoginRequired || !crossSite(cfg.SilentRenewURL, cfg.Authority) {
		return err
	}
	c := *e
	c.Message += " (the hidden iframe renewal: the provider " + origin(cfg.Authority) +
		" is on another site than this app (" + origin(cfg.SilentRenewURL) + "), and browsers do not send the provider's" +
		" session cookie to a cross-site iframe (third-party cookies blocked, or a SameSite=Lax cookie), so it sees no session" +
		" even when the user is signed in there; renew with refresh tokens instead (useRefreshToken: true and offline_access" +
		" in scope), or serve the provider on the app's site)"
	return &c
}

// crossSite reports whether two absolute URLs are on different sites as
// browsers count them for cookies: schemeful same-site (HTML, "same site";
// RFC 6265bis §5.2) compares the scheme and the registrable domain. Without
// the Public Suffix List the registrable domain is taken as a host name's
// last two labels; an IP address or a one-label name (localhost) is a site
// of its own. An unparsable URL is never called cross-site.
func crossSite(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Host == "" || ub.Host == "" {
		return false
	}
	return !strings.EqualFold(ua.Scheme, ub.Scheme) || site(ua.Hostname()) != site(ub.Hostname())
}

func site(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return host
	}
	labels := strings.Split(host, ".")
	if len(labels) <= 2 {
		return host
	}
	return strings.Join(labels[len(labels)-2:], ".")
}

// origin is u's scheme and host, or u as it is when it does not parse.
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	return p.Scheme + "://" + p.Host
}

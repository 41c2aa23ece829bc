package goapp

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/oidcwasm/oidcwasm/spa"
)

// Response is the answer to Auth.Fetch.
type Response struct {
	*spa.Response
	// ConfigID is the config whose access token the request carried, "" when
	// it carried none (its URL matched no secure route, or the caller set
	// its own Authorization header).
	ConfigID string
}

// Fetch sends req the way the JS bridge's oidc.fetch does, with the same
// secure-route table (Manager.MatchRequest, on the URL and method): a request
// that matches a config's secure-route entry carries the entry's access token
// (Manager.RouteToken: the entry's per-API token, or the login's) in an
// Authorization: Bearer header (RFC 6750 §2.1), renewed first when it is
// stale; an Anonymous entry's request goes without one while the config has
// no session; any other request goes out untouched. A token-bearing
// request does not follow redirects (a redirect answer is an error with
// CodeRedirectBlocked) unless the entry says FollowRedirects. When the answer
// of the URL that got the token is 401 with a Bearer challenge
// (error="invalid_token" or none, RFC 6750 §3.1) it renews that token once
// and sends the request once more, returning that answer as it is; when that
// renewal fails, it returns the 401. A relative URL resolves against the
// page's URL.
//
// It waits for start-up (routes are unknown before), uses Options.Fetcher
// (window.fetch, never net/http's client), and blocks until the whole answer
// is read: call it inside ctx.Async, never in an event handler. An HTTP error
// status is a Response, not an error.
func (a *Auth) Fetch(ctx context.Context, req *spa.Request) (*Response, error) {
	if err := a.wait(ctx); err != nil {
		return nil, err
	}
	base, err := url.Parse(a.nav.Location())
	if err != nil {
		return nil, &spa.Error{Code: spa.CodeInvalidConfig, Field: "url", Message: "the page's URL does not parse", Err: err}
	}
	ref, err := url.Parse(req.URL)
	if err != nil {
		return nil, &spa.Error{Code: spa.CodeInvalidConfig, Field: "url", Message: "the request URL does not parse", Err: err}
	}
	out := *req
	out.URL = base.ResolveReference(ref).String()
	method := out.Method
	if method == "" {
		method = http.MethodGet
	}
	entry, ok := a.m.MatchRequest(out.URL, method, base)
	id := entry.ConfigID
	if !ok || req.Header.Get("Authorization") != "" {
		resp, err := a.fetcher.Fetch(ctx, &out)
		if err != nil {
			return nil, err
		}
		return &Response{Response: resp}, nil
	}
	tok, ok, err := a.m.RouteToken(ctx, entry, false)
	if err != nil {
		return nil, err
	}
	if !ok { // an anonymous entry while signed out
		resp, err := a.fetcher.Fetch(ctx, &out)
		if err != nil {
			return nil, err
		}
		return &Response{Response: resp}, nil
	}
	send := func() (*spa.Response, error) {
		r := out
		r.Header = req.Header.Clone()
		if r.Header == nil {
			r.Header = http.Header{}
		}
		r.Header.Set("Authorization", "Bearer "+tok)
		// Browsers keep Authorization on a same-origin redirect: a token
		// never follows one unless the entry says followRedirects.
		r.NoRedirects = !entry.Route.FollowRedirects
		resp, err := a.fetcher.Fetch(ctx, &r)
		if err == nil && resp.Redirect {
			return nil, &spa.Error{Code: spa.CodeRedirectBlocked, ConfigID: id, Message: spa.RedactURL(out.URL) +
				" (secure route " + entry.Route.URL + " of config " + id + ") answered with a redirect; the token does not follow redirects. " +
				"Call the final URL instead, or set FollowRedirects on the route entry"}
		}
		return resp, err
	}
	resp, err := send()
	if err != nil {
		return nil, err
	}
	// Renew once and retry once, only for an answer of the URL that got the
	// token; when the renewal fails the caller gets this 401 (the failure is
	// what silentRenewFailed reports). The body is bytes: it can be re-sent.
	if bearerChallenge(resp) && !resp.Redirected {
		if tok, ok, err = a.m.RouteToken(ctx, entry, true); err == nil && ok {
			if resp, err = send(); err != nil {
				return nil, err
			}
		}
	}
	return &Response{Response: resp, ConfigID: id}, nil
}

// bearerChallenge reports whether resp is 401 with a Bearer challenge in
// WWW-Authenticate whose error is invalid_token or absent (RFC 6750 §3, §3.1),
// the rule of oidc.fetch.
func bearerChallenge(resp *spa.Response) bool {
	if resp.Status != http.StatusUnauthorized {
		return false
	}
	h := strings.Join(resp.Header.Values("WWW-Authenticate"), ", ")
	params, ok := bearerParams(h)
	if !ok {
		return false
	}
	// The error parameter, if any, of the Bearer challenge.
	for rest := params; ; {
		i := indexFold(rest, "error")
		if i < 0 {
			return true
		}
		before, after := rest[:i], strings.TrimLeft(rest[i+len("error"):], " \t")
		rest = rest[i+len("error"):]
		if i > 0 && isTokenChar(before[len(before)-1]) || !strings.HasPrefix(after, "=") {
			continue // error_description, or not a parameter
		}
		v := strings.TrimLeft(after[1:], " \t\"")
		end := strings.IndexAny(v, "\", \t")
		if end >= 0 {
			v = v[:end]
		}
		return v == "invalid_token"
	}
}

// bearerParams finds a "Bearer" scheme at the start of h or after a comma,
// and returns what follows it.
func bearerParams(h string) (string, bool) {
	for off := 0; ; {
		i := indexFold(h[off:], "bearer")
		if i < 0 {
			return "", false
		}
		i += off
		end := i + len("bearer")
		lead := strings.TrimRight(h[:i], " \t")
		if (lead == "" || strings.HasSuffix(lead, ",")) && (end == len(h) || !isTokenChar(h[end])) {
			return h[end:], true
		}
		off = end
	}
}

// indexFold is strings.Index with ASCII case folding; sub is lower case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for j < len(sub) && (s[i+j]|0x20) == sub[j] {
			j++
		}
		if j == len(sub) {
			return i
		}
	}
	return -1
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

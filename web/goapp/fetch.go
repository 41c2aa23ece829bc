package goapp

import (
	"context"
	"net/http"
	"net/url"

	"github.com/oidcwasm/oidcwasm/spa"
)

// Response is the answer to Auth.Fetch.
type Response struct {
	_ [0]func() // no ==: no equality function in the wasm (size budget)
	*spa.Response
	// ConfigID is the config whose access token the request carried, "" when
	// it carried none (its URL matched no secure route, or the caller set
	// its own Authorization header).
	ConfigID string
}

// Fetch sends req the way the JS bridge's oidc.fetch does, with the same
// secure-route table (Manager.MatchRequest, on the URL and method): a request
// that matches a config's secure-route entry carries the entry's access token
// (Manager.RouteHeaders: the entry's per-API token, or the login's) in an
// Authorization: Bearer header (RFC 6750 §2.1), or for a config with DPoP
// as "DPoP" with a proof for this request (RFC 9449 §7.1), renewed first
// when it is stale; an Anonymous entry's request goes without one while the
// config has no session; any other request goes out untouched. A
// token-bearing request does not follow redirects (a redirect answer is an
// error with CodeRedirectBlocked) unless the entry says FollowRedirects. The
// answer of the URL that got the token goes through Manager.RouteAnswer: a
// DPoP nonce the server asks for is sent once, and a 401 that refuses the
// token (error="invalid_token" or none, RFC 6750 §3.1) renews it once and
// sends the request once more, returning that answer as it is; when that
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
	if a.inWorker(id) {
		return a.worker.fetch(ctx, a.fetcher, &out, id)
	}
	h, ok, err := a.m.RouteHeaders(ctx, entry, method, out.URL, false)
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
		r.Header.Set("Authorization", h.Authorization)
		if h.DPoP != "" {
			r.Header.Set("DPoP", h.DPoP)
		}
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
	// spa.Manager.RouteAnswer's rule, as oidc.fetch follows it: a DPoP
	// nonce asked for is sent once, a refused token is renewed once, only
	// for an answer of the URL that got the token; when the renewal fails
	// the caller gets this 401 (the failure is what silentRenewFailed
	// reports). The body is bytes: it can be re-sent.
	for nonced, renewed := false, false; !resp.Redirected; {
		switch a.m.RouteAnswer(id, out.URL, resp) {
		case spa.AnswerNonce:
			if nonced {
				return &Response{Response: resp, ConfigID: id}, nil
			}
			nonced = true
			h, ok, err = a.m.RouteHeaders(ctx, entry, method, out.URL, false)
		case spa.AnswerRenew:
			if renewed {
				return &Response{Response: resp, ConfigID: id}, nil
			}
			renewed = true
			h, ok, err = a.m.RouteHeaders(ctx, entry, method, out.URL, true)
		default:
			return &Response{Response: resp, ConfigID: id}, nil
		}
		if err != nil || !ok {
			return &Response{Response: resp, ConfigID: id}, nil
		}
		if resp, err = send(); err != nil {
			return nil, err
		}
	}
	return &Response{Response: resp, ConfigID: id}, nil
}

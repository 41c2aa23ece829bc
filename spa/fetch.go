package spa

import (
	"context"
	"net/http"
)

// Request is one HTTP request made by the core. Body is the exact bytes to send.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Revalidate asks that the answer not come from an HTTP cache without
	// asking the server (window.fetch's cache: "no-cache"). The JWKS needs it:
	// after a key rotation a cached key set would fail every new token. A
	// Cache-Control request header would do the same but makes browsers
	// preflight the request.
	Revalidate bool
	// NoRedirects asks the fetcher not to follow a redirect (window.fetch's
	// redirect: "manual"): the answer is then a Response with Redirect set. A
	// request that carries a token uses it, since browsers keep Authorization
	// on same-origin hops (docs/DESIGN.md, "The fetch wrapper").
	NoRedirects bool
}

// Response is a complete HTTP response: the body has been read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Redirect: the server answered with a redirect that was not followed
	// (NoRedirects). Browsers hide its status and target (an opaque redirect,
	// Status 0).
	Redirect bool
	// Redirected: the answer comes from another URL than the request's, after
	// following redirects.
	Redirected bool
}

// Fetcher performs HTTP requests. In the browser it is window.fetch (package web);
// natively it may be net/http (NetHTTPFetcher). Implementations must honour ctx
// cancellation and return an *Error with CodeNetwork (or CodeTimeout) when no
// HTTP answer arrived. An HTTP error status is not an error of Fetch.
type Fetcher interface {
	Fetch(ctx context.Context, req *Request) (*Response, error)
}

// FetcherFunc adapts a function to Fetcher.
type FetcherFunc func(ctx context.Context, req *Request) (*Response, error)

// Fetch calls f.
func (f FetcherFunc) Fetch(ctx context.Context, req *Request) (*Response, error) { return f(ctx, req) }

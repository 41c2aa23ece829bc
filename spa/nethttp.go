//go:build !js

package spa

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
)

// NetHTTPFetcher is a Fetcher over net/http, for native programs and tests.
// It is not built for GOOS=js: a WebAssembly build uses window.fetch (package
// web), because net/http's client would add most of a megabyte (docs/DESIGN.md,
// "Size rules"). The zero value uses http.DefaultClient.
type NetHTTPFetcher struct {
	Client *http.Client // nil means http.DefaultClient
}

// Fetch sends req and reads the whole response body, up to 1 MiB; a longer
// body is a CodeInvalidResponse error. When no answer arrives, the error is
// CodeTimeout if ctx's deadline (or the client's timeout) passed and
// CodeNetwork otherwise. Errors name the method and the URL without its query;
// they never contain the request body or header values.
func (f NetHTTPFetcher) Fetch(ctx context.Context, req *Request) (*Response, error) {
	c := f.Client
	if c == nil {
		c = http.DefaultClient
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	what := method + " " + RedactURL(req.URL)
	hreq, err := http.NewRequestWithContext(ctx, method, req.URL, body)
	if err != nil {
		return nil, newError(CodeNetwork, "", "%s: malformed request", what)
	}
	if req.Header != nil {
		hreq.Header = req.Header.Clone()
	}
	if req.NoRedirects {
		cc := *c
		cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		c = &cc
	}
	resp, err := c.Do(hreq)
	if err != nil {
		return nil, transportError(ctx, what, err)
	}
	defer resp.Body.Close()
	if req.NoRedirects && resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != "" {
		return &Response{Status: resp.StatusCode, Header: resp.Header, Redirect: true}, nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	if err != nil {
		return nil, transportError(ctx, what+": reading the response", err)
	}
	if len(b) > MaxResponseBody {
		return nil, newError(CodeInvalidResponse, "", "%s: the response is larger than %d bytes", what, MaxResponseBody)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b,
		Redirected: resp.Request != nil && resp.Request.URL.String() != hreq.URL.String()}, nil
}

// transportError classifies a failure of net/http. The *url.Error that
// net/http returns quotes the full URL, query included, so only its cause is
// kept.
func transportError(ctx context.Context, what string, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctx.Err() != nil {
		return ContextError(ctx, what)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return wrapError(CodeTimeout, "", err, "%s: no answer in time", what)
	}
	return wrapError(CodeNetwork, "", err, "%s: no answer", what)
}

package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/oidcwasm/oidcwasm/spa"
)

// MaxResponseBody is the largest response body Fetcher reads: 1 MiB. The
// core fetches discovery documents, key sets, token and userinfo responses,
// which are a few kilobytes; a bigger body is a misbehaving server.
const MaxResponseBody = spa.MaxResponseBody

// Fetcher is the spa.Fetcher of the browser: window.fetch, through
// syscall/js, so that wasm builds never link net/http's client (see the size
// rules in docs/DESIGN.md). The zero value is ready to use.
//
// Each request is sent with
//   - the headers of spa.Request.Header, all values of each;
//   - the body as a Uint8Array when it is not empty, else none;
//   - credentials: "omit": tokens travel in headers, never in cookies, and a
//     provider's cookies must not decide what a token request means;
//   - mode: "cors", as every provider endpoint is another origin;
//   - redirect: "follow", like net/http's client (a discovery document
//     behind a redirect still loads); the response is the final one; with
//     spa.Request.NoRedirects, "manual": a redirect answer is a Response with
//     Redirect set (opaque to script: status 0, no headers);
//   - cache: "no-cache" when spa.Request.Revalidate is set.
//
// The response is complete: status, headers (names canonical, repeated
// headers joined with ", " as the Fetch standard does; Set-Cookie is never
// visible) and the body, at most MaxResponseBody bytes. An HTTP error status
// is a response, not an error.
//
// Errors are *spa.Error; their messages name the method, origin and path of
// the URL, never its query (which may hold an authorization code) nor any
// header:
//   - no HTTP answer (DNS, connection refused, CORS refusal, mixed content:
//     fetch rejects with a TypeError): CodeNetwork;
//   - ctx done before the response is read: the request is aborted through
//     an AbortController and Fetch returns at once with CodeTimeout when the
//     deadline passed, else CodeNetwork; the *spa.Error wraps ctx.Err(), so
//     errors.Is(err, context.Canceled) and context.DeadlineExceeded work;
//   - a body larger than MaxResponseBody: CodeInvalidResponse.
//
// Fetch blocks until the response is read, so it must not be called inside a
// js.FuncOf callback; call it from a goroutine, for example inside Promise.
type Fetcher struct{}

var _ spa.Fetcher = Fetcher{}

// Fetch sends req with window.fetch and reads the whole response.
func (Fetcher) Fetch(ctx context.Context, req *spa.Request) (*spa.Response, error) {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	where := method + " " + spa.RedactURL(req.URL)
	if ctx.Err() != nil {
		return nil, spa.ContextError(ctx, where)
	}

	init := js.Global().Get("Object").New()
	init.Set("method", method)
	init.Set("credentials", "omit")
	init.Set("mode", "cors")
	if req.NoRedirects {
		init.Set("redirect", "manual")
	} else {
		init.Set("redirect", "follow")
	}
	if req.Revalidate {
		init.Set("cache", "no-cache")
	}
	// Pairs rather than an object, so that a header can repeat. An invalid
	// name or value makes fetch reject with a TypeError; it never throws.
	headers := js.Global().Get("Array").New()
	for name, values := range req.Header {
		for _, v := range values {
			headers.Call("push", []any{name, v})
		}
	}
	init.Set("headers", headers)
	if len(req.Body) > 0 {
		body := js.Global().Get("Uint8Array").New(len(req.Body))
		js.CopyBytesToJS(body, req.Body)
		init.Set("body", body)
	}
	abort := js.Global().Get("AbortController").New()
	init.Set("signal", abort.Get("signal"))
	stop := context.AfterFunc(ctx, func() { abort.Call("abort") })
	defer stop()

	resp, err := Await(ctx, js.Global().Call("fetch", req.URL, init))
	if err != nil {
		return nil, fetchError(ctx, where, req.URL, err)
	}
	if resp.Get("type").String() == "opaqueredirect" {
		return &spa.Response{Header: http.Header{}, Redirect: true}, nil
	}
	header := readHeaders(resp.Get("headers"))
	if n, err := strconv.ParseInt(header.Get("Content-Length"), 10, 64); err == nil && n > MaxResponseBody {
		abort.Call("abort")
		return nil, tooLarge(where)
	}
	buf, err := Await(ctx, resp.Call("arrayBuffer"))
	if err != nil {
		return nil, fetchError(ctx, where, req.URL, err)
	}
	n := buf.Get("byteLength").Int()
	if n > MaxResponseBody {
		return nil, tooLarge(where)
	}
	body := make([]byte, n)
	js.CopyBytesToGo(body, js.Global().Get("Uint8Array").New(buf))
	return &spa.Response{Status: resp.Get("status").Int(), Header: header, Body: body, Redirected: resp.Get("redirected").Bool()}, nil
}

// readHeaders copies a Headers object into an http.Header.
func readHeaders(h js.Value) http.Header {
	header := make(http.Header)
	entries := js.Global().Get("Array").Call("from", h.Call("entries"))
	for i, n := 0, entries.Length(); i < n; i++ {
		pair := entries.Index(i)
		header.Add(pair.Index(0).String(), pair.Index(1).String())
	}
	return header
}

// fetchError is the error of a fetch or body read that did not complete.
func fetchError(ctx context.Context, where, rawURL string, err error) *spa.Error {
	if ctx.Err() != nil {
		return spa.ContextError(ctx, where)
	}
	msg := err.Error()
	var r *Rejection
	if errors.As(err, &r) && r.Name() != "" {
		msg = r.Name() + ": " + stringProp(r.Value, "message")
	}
	return &spa.Error{Code: spa.CodeNetwork, Message: where + ": no HTTP response", Err: errors.New(dropURLs(msg, rawURL))}
}

// dropURLs removes rawURL and anything else that looks like a URL from a
// browser's message ("Failed to parse URL from ..."), which could otherwise
// carry a query string into an error.
func dropURLs(msg, rawURL string) string {
	if rawURL != "" {
		msg = strings.ReplaceAll(msg, rawURL, "<url>")
	}
	words := strings.Fields(msg)
	for i, w := range words {
		if strings.Contains(w, "://") || strings.Contains(w, "?") {
			words[i] = "<url>"
		}
	}
	return strings.Join(words, " ")
}

func tooLarge(where string) *spa.Error {
	return &spa.Error{Code: spa.CodeInvalidResponse, Message: where + ": response body larger than 1 MiB"}
}

package web

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"syscall/js"

	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
)

// SessionIframe is the silentrefresh.SessionFrame of the browser: per
// config one hidden iframe of the provider's check_session_iframe (OpenID
// Connect Session Management 1.0 §3.2), loaded once and asked by
// postMessage with targetOrigin its origin. An answer counts only when
// silentrefresh.AcceptSessionReply says so (its origin, from that iframe's
// window, one of the three answers): another window cannot answer for it.
// The zero value is ready to use.
//
// The iframe loads the provider's page in the app's page: the provider must
// allow that (no X-Frame-Options DENY, frame-ancestors), a Content-Security-
// Policy of the app must allow it in frame-src, and the provider's page must
// reach its own cookies there, which browsers allow only when the provider is
// on the app's site (third-party cookies, as for the renewal iframe).
type SessionIframe struct {
	mu     sync.Mutex
	frames map[string]*sessionIframe // by config
}

var _ silentrefresh.SessionFrame = (*SessionIframe)(nil)

// sessionIframe is one config's iframe and its listeners.
type sessionIframe struct {
	url       string
	el        js.Value
	loaded    chan struct{} // closed at the iframe's load event
	answers   chan string
	onLoad    js.Func
	onMessage js.Func
}

// Ask implements silentrefresh.SessionFrame. It blocks, so it must not run
// inside a js.FuncOf callback.
func (s *SessionIframe) Ask(ctx context.Context, configID string, t spa.CheckSessionTarget) (string, error) {
	f, err := s.frame(configID, t)
	if err != nil {
		return "", err
	}
	select {
	case <-f.loaded:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	select { // an answer that came too late for the last question is not this one's
	case <-f.answers:
	default:
	}
	cw := f.el.Get("contentWindow")
	if cw.IsNull() || cw.IsUndefined() {
		return "", errors.New("oidcwasm: web: the check_session_iframe was removed from the page")
	}
	cw.Call("postMessage", t.Message, t.Origin)
	select {
	case a := <-f.answers:
		return a, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// frame returns the config's iframe of t.IframeURL, making it when there is
// none (or one of another URL).
func (s *SessionIframe) frame(configID string, t spa.CheckSessionTarget) (*sessionIframe, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.frames[configID]; f != nil {
		if f.url == t.IframeURL {
			return f, nil
		}
		f.remove()
		delete(s.frames, configID)
	}
	// Only a web URL may load in a frame of the page: a javascript: URL
	// would run in the page's origin.
	if u, err := url.Parse(t.IframeURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("oidcwasm: web: the check_session_iframe is not an http(s) URL")
	}
	doc := js.Global().Get("document")
	f := &sessionIframe{url: t.IframeURL, el: hiddenIframe(doc, "oidcwasm session check"),
		loaded: make(chan struct{}), answers: make(chan string, 1)}
	var once sync.Once
	f.onLoad = js.FuncOf(func(js.Value, []js.Value) any {
		once.Do(func() { close(f.loaded) })
		return nil
	})
	f.onMessage = js.FuncOf(func(this js.Value, args []js.Value) any {
		msgOrigin, ours, data, isEvent := messageFrom(arg0(args), f.el)
		if !isEvent {
			return nil
		}
		if a, ok := silentrefresh.AcceptSessionReply(t.Origin, msgOrigin, ours, data); ok {
			select {
			case f.answers <- a:
			default: // one answer pending is enough
			}
		}
		return nil
	})
	f.el.Call("addEventListener", "load", f.onLoad)
	js.Global().Call("addEventListener", "message", f.onMessage)
	f.el.Set("src", t.IframeURL)
	appendToPage(doc, f.el)
	if s.frames == nil {
		s.frames = map[string]*sessionIframe{}
	}
	s.frames[configID] = f
	return f, nil
}

// Close implements silentrefresh.SessionFrame.
func (s *SessionIframe) Close(configID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.frames[configID]; f != nil {
		f.remove()
		delete(s.frames, configID)
	}
}

// remove takes the iframe out of the page and releases its callbacks: the
// listeners first, so that no event reaches a released function.
func (f *sessionIframe) remove() {
	js.Global().Call("removeEventListener", "message", f.onMessage)
	f.el.Call("removeEventListener", "load", f.onLoad)
	f.el.Call("remove")
	f.onMessage.Release()
	f.onLoad.Release()
}

package web

import (
	"context"
	"errors"
	"net/url"
	"syscall/js"

	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
)

// IframeFrame is the silentrefresh.Frame of the browser: it loads the
// authorization URL of a silent renewal (prompt=none, OpenID Connect Core
// §3.1.2.1) in a hidden iframe and waits for silent-refresh.html to post the
// authorization response back. The zero value is ready to use, and one
// IframeFrame serves any number of renewals at once, each with its own iframe.
type IframeFrame struct{}

var _ silentrefresh.Frame = IframeFrame{}

// Navigate implements silentrefresh.Frame. It appends a hidden iframe that
// loads req.URL and listens to message events on window. It accepts a
// message only when silentrefresh.AcceptMessage says so, given location.origin,
// event.origin, whether event.source is this iframe's window, event.data and
// req.State (with pushed authorization requests the URL has no state of its
// own, RFC 9126 §4); every other message is ignored, and
// Navigate keeps waiting. So concurrent renewals (two configs) each get the
// answer of their own iframe, and neither a script of another window nor a
// stale answer can stand in for it.
//
// Navigate returns the accepted URL, or ctx's error when ctx ends first (the
// silentrefresh.Renewer turns its deadline into code timeout). Either way it
// removes the iframe and the listener and releases its js.Func before it
// returns. It blocks, so it must not run inside a js.FuncOf callback.
//
// The iframe is hidden without display:none: browsers may defer loading or
// throttle frames that are not rendered. It is 0×0, absolutely positioned,
// visibility:hidden, without a border, out of the tab order, aria-hidden, and
// titled for assistive technology that finds it anyway.
func (IframeFrame) Navigate(ctx context.Context, req spa.AuthRequest) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	// Only a web URL may load in a frame of our origin's page: a javascript:
	// URL would run in the page's origin.
	authorizeURL := req.URL
	if u, err := url.Parse(authorizeURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("oidcwasm: web: the silent renewal's authorization URL is not an http(s) URL")
	}
	state := req.State
	if state == "" {
		return "", errors.New("oidcwasm: web: the silent renewal's authorization request has no state to check its answer against")
	}
	win := js.Global()
	doc := win.Get("document")
	origin := win.Get("location").Get("origin").String()

	frame := hiddenIframe(doc, "oidcwasm silent renewal")
	answer := make(chan string, 1)
	onMessage := js.FuncOf(func(this js.Value, args []js.Value) any {
		msgOrigin, fromOurFrame, data, isEvent := messageFrom(arg0(args), frame)
		if !isEvent {
			return nil
		}
		if u, ok := silentrefresh.AcceptMessage(origin, msgOrigin, fromOurFrame, data, state); ok {
			select {
			case answer <- u:
			default: // already answered; Navigate is returning
			}
		}
		return nil
	})
	win.Call("addEventListener", "message", onMessage)
	defer func() {
		// In this order: once the listener is gone no event can reach the
		// released function.
		win.Call("removeEventListener", "message", onMessage)
		frame.Call("remove")
		onMessage.Release()
	}()

	frame.Set("src", authorizeURL)
	appendToPage(doc, frame)

	select {
	case u := <-answer:
		return u, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// hiddenIframe makes the iframe of a silent renewal or a session check,
// hidden without display:none (browsers may defer loading or throttle frames
// that are not rendered): 0×0, absolutely positioned, visibility:hidden,
// without a border, out of the tab order, aria-hidden, titled for assistive
// technology that finds it anyway. The style goes through the CSSOM, not a
// style attribute: a strict CSP (style-src without 'unsafe-inline') drops
// style attributes, not CSSOM writes.
func hiddenIframe(doc js.Value, title string) js.Value {
	frame := doc.Call("createElement", "iframe")
	frame.Set("title", title)
	frame.Call("setAttribute", "aria-hidden", "true")
	frame.Set("tabIndex", -1)
	frame.Set("width", "0")
	frame.Set("height", "0")
	frame.Call("setAttribute", "loading", "eager")
	frame.Get("style").Set("cssText", "position:absolute;top:0;left:0;width:0;height:0;border:0;visibility:hidden")
	return frame
}

// appendToPage appends el to the body, or the root element before there is one.
func appendToPage(doc, el js.Value) {
	parent := doc.Get("body")
	if parent.IsNull() || parent.IsUndefined() {
		parent = doc.Get("documentElement")
	}
	parent.Call("appendChild", el)
}

// messageFrom reads the facts of a message event that the acceptance rules
// (silentrefresh.AcceptMessage, AcceptSessionReply) decide on: event.origin,
// whether event.source is frame's window, and event.data when it is a
// string; isEvent is false for anything that is not an event object.
// contentWindow is null while the iframe is detached; a null source (a
// message without a window behind it) must not match that.
func messageFrom(ev, frame js.Value) (origin string, fromFrame bool, data any, isEvent bool) {
	if ev.Type() != js.TypeObject {
		return "", false, nil, false
	}
	cw := frame.Get("contentWindow")
	fromFrame = !cw.IsNull() && !cw.IsUndefined() && ev.Get("source").Equal(cw)
	if d := ev.Get("data"); d.Type() == js.TypeString {
		data = d.String()
	}
	if o := ev.Get("origin"); o.Type() == js.TypeString {
		origin = o.String()
	}
	return origin, fromFrame, data, true
}

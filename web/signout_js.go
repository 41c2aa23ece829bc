package web

import (
	"syscall/js"

	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
)

// watchSignOut wires "Sign-out from elsewhere" (docs/DESIGN.md) for m: the
// front-channel logout page's messages (ListenFrontchannelLogout) and the
// provider's check_session_iframe (a silentrefresh.SessionMonitor over a
// SessionIframe). stop undoes both.
func watchSignOut(m *spa.Manager) (stop func()) {
	stopFC := ListenFrontchannelLogout(m)
	mon := silentrefresh.NewSessionMonitor(m, &SessionIframe{})
	mon.Start()
	return func() {
		mon.Stop()
		stopFC()
	}
}

// reasonOf is the reason of a Broadcast message (parseBroadcast has read
// its data), "" when it has none the Manager knows: a message is told, not
// trusted, so only a known label passes.
func reasonOf(ev js.Value) string {
	if r := ev.Get("data").Get("reason"); r.Type() == js.TypeString && r.String() == spa.ReasonProvider {
		return spa.ReasonProvider
	}
	return ""
}

// ListenFrontchannelLogout hands every message of the front-channel logout
// page (silentrefresh.FrontchannelLogoutHTML, on the BroadcastChannel
// silentrefresh.FrontchannelLogoutChannel) to m.FrontchannelLogout, and
// reports in the console, with console.warn, why a request ended nothing
// (OpenID Connect Front-Channel Logout 1.0; docs/DESIGN.md: a wrong or missing
// iss or sid changes nothing and says so). When the page wakes (a frozen or
// back/forward-cached tab hears no BroadcastChannel) it applies the requests
// the page stored meanwhile (m.ApplyStoredLogouts); Configure applies them
// at start. stop closes the channel and releases the callbacks. Without
// BroadcastChannel only the stored requests are read.
func ListenFrontchannelLogout(m *spa.Manager) (stop func()) {
	stopWake := WatchWake(func() { m.ApplyStoredLogouts() })
	stopChannel := ListenFrontchannelLogoutChannel(m)
	return func() {
		stopWake()
		stopChannel()
	}
}

// ListenFrontchannelLogoutChannel is ListenFrontchannelLogout's channel
// alone, for the service worker of worker custody: it has no document to
// wake and no localStorage with the stored requests (a request that comes
// while the browser has stopped it is missed; the silent sign-in after
// the stop then finds the provider's session over).
func ListenFrontchannelLogoutChannel(m *spa.Manager) (stop func()) {
	ctor := js.Global().Get("BroadcastChannel")
	if ctor.Type() != js.TypeFunction {
		return func() {}
	}
	ch := ctor.New(silentrefresh.FrontchannelLogoutChannel)
	onMessage := js.FuncOf(func(this js.Value, args []js.Value) any {
		ev := arg0(args)
		if ev.Type() != js.TypeObject {
			return nil
		}
		// The page's object as JSON: one parser, in spa, for this and for
		// the stored requests.
		raw := js.Global().Get("JSON").Call("stringify", ev.Get("data"))
		if raw.Type() != js.TypeString {
			return nil
		}
		msg := raw.String()
		go func() { // ending a session takes locks and runs subscribers
			if _, err := m.FrontchannelLogout(msg); err != nil {
				js.Global().Get("console").Call("warn", err.Error())
			}
		}()
		return nil
	})
	ch.Call("addEventListener", "message", onMessage)
	return func() {
		ch.Call("removeEventListener", "message", onMessage)
		ch.Call("close")
		onMessage.Release()
	}
}

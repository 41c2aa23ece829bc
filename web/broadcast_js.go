package web

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"syscall/js"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

// BroadcastChannelName is the BroadcastChannel on which a Broadcast tells the
// other tabs of the origin that a shared session changed.
const BroadcastChannelName = "oidcwasm"

// Message types on BroadcastChannelName.
const (
	broadcastSession   = "session"   // the config's session in localStorage is new
	broadcastLoggedOut = "loggedOut" // the config's session in localStorage is gone
)

// Broadcast keeps the tabs of an origin in step. Without it another tab would
// go on with the tokens it read earlier: an access token that was rotated
// away, a session that was logged out.
//
// Configs whose Storage is spa.StorageLocal share one session, in
// localStorage: Broadcast posts {type: "session", configId} on the
// BroadcastChannel "oidcwasm" after this tab's Manager emits authenticated
// (not a restore) or tokenRefreshed, and {type: "loggedOut", configId} after
// loggedOut; the receiving tab calls spa.Manager.Reload, which reads the
// session from localStorage and emits tokenRefreshed or loggedOut there. The
// message type is not trusted: the store is the truth.
//
// Configs in sessionStorage or memory keep a session per tab, but the tabs
// share the user's session at the provider, so a session that ends in one tab
// ends in all (docs/DESIGN.md, "Sessions across windows"): only loggedOut is posted
// for them, and the receiving tab ends its own session of that config
// (spa.Manager.LogoffLocal), which emits loggedOut there. Their sign-ins and
// renewals are their own and are never told.
//
// A message never holds a token. Echoes are cut off twice: events that a
// message's handling causes are not posted, and no shared session is posted
// that this tab already told or heard of (each is known by a SHA-256
// fingerprint of its access token, kept in memory only).
//
// Where BroadcastChannel is missing, a Broadcast does nothing.
type Broadcast struct {
	m         *spa.Manager
	ch        js.Value // undefined without BroadcastChannel
	onMessage js.Func
	unsub     func()

	mu        sync.Mutex
	closed    bool
	reloading map[string]int    // configs whose Reload from a message is running
	last      map[string]string // config → fingerprint of the session last told or heard ("" signed out)
}

// NewBroadcast subscribes to m's events and listens on the channel until Close.
func NewBroadcast(m *spa.Manager) *Broadcast {
	b := &Broadcast{m: m, ch: js.Undefined(), reloading: map[string]int{}, last: map[string]string{}}
	ctor := js.Global().Get("BroadcastChannel")
	if ctor.Type() != js.TypeFunction {
		return b
	}
	b.ch = ctor.New(BroadcastChannelName)
	b.onMessage = js.FuncOf(func(this js.Value, args []js.Value) any {
		typ, id, ok := parseBroadcast(arg0(args))
		if ok {
			// Reload takes locks and runs subscribers: not in a callback.
			go b.reload(typ, id, reasonOf(arg0(args)))
		}
		return nil
	})
	b.ch.Call("addEventListener", "message", b.onMessage)
	b.unsub = m.Subscribe(b.onEvent)
	return b
}

// parseBroadcast reads a message event of the channel; any other shape is ignored.
func parseBroadcast(ev js.Value) (typ, configID string, ok bool) {
	if ev.Type() != js.TypeObject {
		return "", "", false
	}
	data := ev.Get("data")
	if data.Type() != js.TypeObject {
		return "", "", false
	}
	t, id := data.Get("type"), data.Get("configId")
	if t.Type() != js.TypeString || id.Type() != js.TypeString || id.String() == "" {
		return "", "", false
	}
	switch t.String() {
	case broadcastSession, broadcastLoggedOut:
		return t.String(), id.String(), true
	}
	return "", "", false
}

// Close stops posting and listening and releases the channel and the callback.
// It may be called more than once.
func (b *Broadcast) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	b.mu.Unlock()
	if b.ch.IsUndefined() {
		return
	}
	b.unsub()
	b.ch.Call("removeEventListener", "message", b.onMessage)
	b.ch.Call("close")
	b.onMessage.Release()
}

// shared reports whether the config's sessions live in localStorage.
func (b *Broadcast) shared(configID string) bool {
	cfg, err := b.m.Config(configID)
	return err == nil && cfg.Storage == spa.StorageLocal
}

// catchUp is how long reload waits, in steps, for another tab's localStorage
// write to become visible here. Chromium propagates localStorage between
// renderer processes asynchronously, so the message can arrive before the
// write it announces; a Reload that finds nothing new is tried again.
var catchUp = []time.Duration{0, 25 * time.Millisecond, 100 * time.Millisecond, 400 * time.Millisecond, 1000 * time.Millisecond}

// reload handles another tab's message about a config: a shared session is
// re-read (the store is the truth, and Reload emits what changed); a tab's own
// session ends when the other tab's ended.
func (b *Broadcast) reload(typ, configID, reason string) {
	shared := b.shared(configID)
	if !shared && typ != broadcastLoggedOut {
		return
	}
	for _, wait := range catchUp {
		time.Sleep(wait)
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return
		}
		b.reloading[configID]++ // what this causes is not told again
		b.mu.Unlock()

		changed := true
		switch {
		case typ == broadcastLoggedOut && reason != "":
			changed, _ = b.m.EndedElsewhere(configID, reason) // loggedOut says who ended it here too
		case shared:
			changed, _ = b.m.Reload(configID)
		default:
			_ = b.m.LogoffLocal(configID) // not configured here: nothing to end
		}

		b.mu.Lock()
		if b.reloading[configID]--; b.reloading[configID] == 0 {
			delete(b.reloading, configID)
		}
		b.last[configID] = b.fingerprint(configID)
		b.mu.Unlock()
		if changed {
			return
		}
	}
}

// onEvent is the Manager subscription: it posts what other tabs must re-read.
// It runs on the goroutine that emitted the event; postMessage does not block.
func (b *Broadcast) onEvent(ev spa.Event) {
	var typ string
	switch ev.Type {
	case spa.EventAuthenticated, spa.EventTokenRefreshed:
		typ = broadcastSession
	case spa.EventLoggedOut:
		typ = broadcastLoggedOut
	default:
		return
	}
	shared := b.shared(ev.ConfigID)
	if !shared && typ != broadcastLoggedOut {
		return // a tab's own sign-in or renewal
	}
	fp := b.fingerprint(ev.ConfigID)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	prev, known := b.last[ev.ConfigID]
	b.last[ev.ConfigID] = fp
	switch {
	case b.reloading[ev.ConfigID] > 0: // caused by another tab's message
	case ev.Restored: // read from localStorage: every tab has it
	case shared && known && prev == fp: // told or heard already
	default:
		msg := js.Global().Get("Object").New()
		msg.Set("type", typ)
		msg.Set("configId", ev.ConfigID)
		if ev.Reason != "" {
			msg.Set("reason", ev.Reason)
		}
		b.ch.Call("postMessage", msg)
	}
}

// fingerprint identifies the config's current session without holding its
// token: a SHA-256 prefix of the access token, "" when signed out.
func (b *Broadcast) fingerprint(configID string) string {
	s, err := b.m.Session(configID)
	if err != nil || s == nil {
		return ""
	}
	sum := sha256.Sum256([]byte(s.AccessToken))
	return hex.EncodeToString(sum[:16])
}

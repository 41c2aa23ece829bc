package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"sync"
	"syscall/js"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

// TabClaimGrace is how long a starting page waits for the Web Lock of its
// tab ID before it concludes that another live page holds it.
//
// The lock of a tab's ID is free at once unless another page holds it; the
// grace only covers the page being replaced by a reload or a navigation,
// whose lock goes at its pagehide. So a reload costs about a millisecond and
// a duplicate TabClaimGrace. It is a second, not less: on a loaded machine
// (a CI run beside two other browsers' suites) the old document's release
// took over the 200 ms it used to be, and the reloaded page took itself for
// a duplicate and dropped its own refresh token. A duplicated tab is rare,
// and only its sessions in sessionStorage wait (web.NewClient claims in the
// background). A new tab, without an ID yet, never waits.
const TabClaimGrace = time.Second

// TabChannelGrace is how long a starting page waits for answers where Web
// Locks are missing (the BroadcastChannel fallback): there it is the other
// way round, a duplicate knows as soon as the original answers, and every
// other page load with a stored ID waits TabChannelGrace for answers that do
// not come, so it stays short.
const TabChannelGrace = 200 * time.Millisecond

const (
	tabIDKey       = "oidcwasm.tab.id" // in the tab's sessionStorage store
	tabLockPrefix  = "oidcwasm.tab."   // + ID: the Web Lock a page holds for its tab ID
	tabChannelName = "oidcwasm.tab"    // the fallback's BroadcastChannel
)

// Tab is this page's claim on its tab's identity, the guard against
// duplicated tabs.
//
// The problem: the browser's "Duplicate tab" (and window.open of a
// same-origin page) copies sessionStorage into the new tab. With storage
// "session" both tabs then hold the same refresh token; with rotation the
// first tab to use it makes the other's use a replay, which the provider
// refuses with invalid_grant and may answer by revoking the whole token family,
// the first tab's new token included (RFC 9700 §4.14.2). The Web Lock around
// renewals does not help: each tab renews at its own time, with its own copy.
//
// The fix: each tab keeps a random ID in its sessionStorage, and the page that
// runs in it holds the Web Lock "oidcwasm.tab.<ID>" for as long as it lives.
// A starting page reads the ID and asks for that lock. A page that gets it is
// the tab's only page (a new tab, or a reload: the page it replaces has
// released the lock by unloading). A page that does not get it within
// TabClaimGrace shares the ID with a live page: it is a copy. It takes a new
// ID, and drops the refresh tokens of every session in its sessionStorage
// (spa.DropRefreshTokens), so it renews by iframe, or asks for a login, and
// never replays the token the original tab goes on using. The original keeps
// its ID and its tokens. Access tokens stay: a bearer token may be used by
// two tabs at once.
//
// Why a lock rather than asking over BroadcastChannel who holds the ID: the
// lock manager answers atomically for every page of the origin, also for a
// page that cannot answer a message right now (a frozen background tab still
// holds its locks), so two tabs that start at the same moment cannot both keep
// the ID and a sleeping original is never missed.
//
// Where Web Locks are missing (see WebLocks) the page falls back to
// BroadcastChannel: it posts a claim with a per-page-load nonce and waits
// TabChannelGrace; a live page with the same ID answers that it holds it, and of
// two pages claiming at once the smaller nonce wins. A page that does not
// answer in time (frozen, or its event loop busy) is missed, and a late answer
// is ignored: then both tabs keep the token. Without BroadcastChannel either,
// there is no detection.
//
// Limits, whichever way: the copy keeps its access token and ID token, so it
// stays signed in until the access token expires. A reload whose old page
// takes longer than the grace to unload is taken for a duplicate: it drops
// its own refresh token (safe, but the next renewal needs the iframe or a
// login). When the original tab reloads at the very moment the copy starts,
// the copy may win the ID and the reloaded original drops its refresh token
// instead; had the original rotated it since the copy was made, the copy's is
// stale and its first renewal ends in invalid_grant (a new login, no leak).
// Configs in localStorage are shared, not copied, and need no such guard: the
// renewal lock and Broadcast cover them. Keep one Tab per page and store: a
// second claim in the same page is a duplicate of the first.
type Tab struct {
	id        string
	duplicate bool
	dropped   []string

	releaseLock func() // nil unless a Web Lock is held
	channel     *tabChannel
	closeOnce   sync.Once
	onHide      js.Func // releases the lock at pagehide
}

// ClaimTab reads this tab's ID from store (the tab's sessionStorage store, the
// one that holds sessions with storage "session"), makes one when there is
// none, and claims it for this page; when another live page holds it, this
// page is a duplicate: ClaimTab stores a new ID and drops the refresh tokens
// of the sessions in store before it returns. Call it before a Manager reads
// store (before Configure), so no renewal can use a copied refresh token.
//
// It takes at most about TabClaimGrace, or TabChannelGrace without Web
// Locks (see there). It blocks, so it must not run inside a
// js.FuncOf callback. The error is ctx's when ctx ends first; a page that
// cannot tell (no Web Locks, no BroadcastChannel) is not a duplicate.
func ClaimTab(ctx context.Context, store spa.Store) (*Tab, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := &Tab{}
	id, ok := store.Get(tabIDKey)
	fresh := !ok || id == ""
	if fresh {
		id = newTabID()
		store.Set(tabIDKey, id) // a failed write only loses the guard for the next load
	}
	held, err := t.claim(ctx, id, fresh)
	if err != nil {
		t.Close()
		return nil, err
	}
	if !held && !fresh {
		t.duplicate = true
		id = newTabID()
		store.Set(tabIDKey, id)
		t.dropped = spa.DropRefreshTokens(store)
		if _, err := t.claim(ctx, id, true); err != nil {
			t.Close()
			return nil, err
		}
	}
	t.id = id
	return t, nil
}

// ID is this tab's ID.
func (t *Tab) ID() string { return t.id }

// Duplicate reports whether this page started as a copy of another live tab
// and so took a new ID and dropped the copied refresh tokens.
func (t *Tab) Duplicate() bool { return t.duplicate }

// Dropped lists the configs whose copied refresh token ClaimTab dropped.
func (t *Tab) Dropped() []string { return append([]string(nil), t.dropped...) }

// Close gives up the claim: a page that starts in this tab later gets the ID
// at once. The page's unload does the same; Close is for tests and for code
// that tears its client down. It may be called more than once.
func (t *Tab) Close() {
	t.closeOnce.Do(func() {
		if t.releaseLock != nil {
			t.releaseLock()
			t.releaseLock = nil
		}
		if t.onHide.Truthy() {
			js.Global().Call("removeEventListener", "pagehide", t.onHide)
			t.onHide.Release()
		}
		if t.channel != nil {
			t.channel.close()
		}
	})
}

// claim claims id for this page and reports whether it got it; false means
// another live page holds it. A fresh ID, just made, cannot be held by
// another page: it is taken without waiting for answers.
func (t *Tab) claim(ctx context.Context, id string, fresh bool) (bool, error) {
	if t.releaseLock != nil {
		t.releaseLock()
		t.releaseLock = nil
	}
	if locks := navigatorLocks(); !locks.IsUndefined() {
		gctx, cancel := context.WithTimeout(ctx, TabClaimGrace)
		release, _, err := requestLock(gctx, locks, tabLockPrefix+id)
		cancel()
		switch {
		case err == nil:
			t.releaseLock = release
			t.releaseAtPagehide()
			return true, nil
		case ctx.Err() != nil:
			return false, ctx.Err()
		case gctx.Err() != nil:
			return false, nil // held by a live page
		}
		// Web Locks exist but refuse (a sandboxed or opaque-origin
		// document): try the channel.
	}
	if t.channel == nil {
		t.channel = openTabChannel()
		if t.channel == nil {
			return true, nil // no way to tell
		}
	}
	return t.channel.claim(ctx, id, fresh)
}

// releaseAtPagehide gives the tab's lock up when the page starts to unload
// (pagehide), not when its document is finally destroyed: the page that
// replaces it in the tab (a reload, a navigation within the app) asks for
// the lock at once, and on a busy machine the old document can outlive
// TabClaimGrace, so the new page took itself for a duplicate and dropped
// its refresh tokens. A duplicate's original page is alive: it still holds
// the lock. A page restored from the back-forward cache starts afresh
// (Chromium keeps no page holding a Web Lock there).
func (t *Tab) releaseAtPagehide() {
	if t.onHide.Truthy() {
		return
	}
	t.onHide = js.FuncOf(func(this js.Value, args []js.Value) any {
		if t.releaseLock != nil {
			t.releaseLock()
			t.releaseLock = nil
		}
		return nil
	})
	js.Global().Call("addEventListener", "pagehide", t.onHide)
}

// newTabID is 128 random bits, base64url.
func newTabID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// tabChannel is the BroadcastChannel fallback of Tab. Messages:
//
//	{type: "claim", id, nonce, settled: false}  a page starts with this ID
//	{type: "held", id, nonce, settled}         a page holds this ID (settled), or
//	                                           claims it too with a smaller nonce
type tabChannel struct {
	ch    js.Value
	f     js.Func
	nonce string // this page load's; 16 hex digits, so they compare as strings

	mu      sync.Mutex
	id      string        // the ID claimed or held
	settled bool          // the claim succeeded: answer every other claimant
	lost    chan struct{} // closed when another page holds id or wins the claim
}

func openTabChannel() *tabChannel {
	ctor := js.Global().Get("BroadcastChannel")
	if ctor.Type() != js.TypeFunction {
		return nil
	}
	b := make([]byte, 8)
	rand.Read(b)
	c := &tabChannel{ch: ctor.New(tabChannelName), nonce: hex.EncodeToString(b)}
	c.f = js.FuncOf(func(this js.Value, args []js.Value) any {
		c.receive(arg0(args))
		return nil
	})
	c.ch.Call("addEventListener", "message", c.f)
	return c
}

// receive handles a message; it runs in the callback and must not block.
func (c *tabChannel) receive(ev js.Value) {
	if ev.Type() != js.TypeObject || ev.Get("data").Type() != js.TypeObject {
		return
	}
	d := ev.Get("data")
	typ, id, nonce := d.Get("type"), d.Get("id"), d.Get("nonce")
	if typ.Type() != js.TypeString || id.Type() != js.TypeString || nonce.Type() != js.TypeString {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.id == "" || id.String() != c.id || nonce.String() == c.nonce {
		return
	}
	switch typ.String() {
	case "claim":
		// A claimant that started after our own claim went out has not seen
		// it: answer, unless it wins.
		if c.settled || c.nonce < nonce.String() {
			c.post("held", c.id)
		} else {
			c.lose()
		}
	case "held":
		// Every page sees every answer: one from another claimant counts only
		// when that claimant wins over us.
		if !c.settled && (d.Get("settled").Truthy() || nonce.String() < c.nonce) {
			c.lose()
		}
		// A late answer to a claim already settled is ignored (see Tab).
	}
}

func (c *tabChannel) lose() {
	select {
	case <-c.lost:
	default:
		close(c.lost)
	}
}

func (c *tabChannel) post(typ, id string) {
	msg := js.Global().Get("Object").New()
	msg.Set("type", typ)
	msg.Set("id", id)
	msg.Set("nonce", c.nonce)
	msg.Set("settled", c.settled)
	c.ch.Call("postMessage", msg)
}

// claim posts a claim for id and waits TabChannelGrace for a page that
// holds it; a fresh ID is held at once.
func (c *tabChannel) claim(ctx context.Context, id string, fresh bool) (bool, error) {
	c.mu.Lock()
	c.id, c.settled, c.lost = id, fresh, make(chan struct{})
	lost := c.lost
	if !fresh {
		c.post("claim", id)
	}
	c.mu.Unlock()
	if fresh {
		return true, nil
	}
	timer := time.NewTimer(TabChannelGrace)
	defer timer.Stop()
	select {
	case <-lost:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	case <-timer.C:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-lost:
		return false, nil
	default:
	}
	c.settled = true
	return true, nil
}

func (c *tabChannel) close() {
	c.mu.Lock()
	c.id = ""
	c.mu.Unlock()
	c.ch.Call("removeEventListener", "message", c.f)
	c.ch.Call("close")
	c.f.Release()
}

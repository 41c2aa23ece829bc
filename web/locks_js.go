package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

// WebLocks is the spa.Locker of the browser: the Web Locks API
// (navigator.locks), whose locks are shared by every tab, window and worker of
// the origin. The Manager holds one around each renewal, so only one tab
// renews a config at a time and the others then read what it stored. The zero
// value is ready to use.
//
// Without navigator.locks WithLock falls back to StorageLocks, a lock of the
// origin's tabs in localStorage, for a lock asked for with
// spa.GuardsSharedStore(ctx) (a config with storage "local", whose session
// the tabs share), and to a lock of this page only otherwise (a session in
// sessionStorage or memory is one tab's). The API is missing in old browsers
// (Firefox before 96, Safari before 15.4) and in insecure contexts: pages
// over plain http on a host other than localhost or 127.0.0.1
// (http://localhost is a secure context). The fallback costs a renewal
// StorageLockSettle more.
//
// Holding the lock is not enough for a tab to read what the previous holder
// stored: browsers propagate localStorage between tabs asynchronously (in
// Chromium each renderer keeps its own copy, updated by messages that race
// the lock's), so a tab granted the lock right after another released it can
// read the old session and replay its rotated refresh token. So WithLock
// fences localStorage: before it releases the lock, a holder writes a fresh,
// time-ordered token to the localStorage key StorePrefix+"fence."+name and
// holds a second lock named name+"#fence:"+token (until its next WithLock of
// that name, or until the page goes); the next holder looks up those locks
// with navigator.locks.query, which the browser answers consistently with
// the grants, and waits, at most FenceWait, until its localStorage shows the
// newest token. One tab's writes reach another in the order they were made,
// so from then on it sees everything the previous holder stored. Only a lock
// asked for with spa.GuardsSharedStore(ctx) (a config with storage "local")
// is fenced: sessionStorage and memory are not shared between tabs.
type WebLocks struct{}

// FenceWait bounds how long WithLock waits for another tab's localStorage
// writes to arrive after it got the lock. They arrive in milliseconds; the
// bound only matters when the previous holder's fence write failed.
const FenceWait = 2 * time.Second

var _ spa.Locker = WebLocks{}

// WithLock implements spa.Locker. It asks for the exclusive lock name with
// navigator.locks.request and, once granted, runs fn in the calling goroutine
// while the request's callback holds the lock with a pending Promise; the
// Promise resolves, and so releases the lock, when fn returns. It blocks, so
// it must not run inside a js.FuncOf callback.
//
// When ctx ends before the lock is granted, the request is aborted through an
// AbortController and WithLock returns ctx.Err(). Once fn runs, ctx is fn's to
// watch. When fn returns an error WithLock returns it; when fn panics the lock
// is released and the panic goes on (a panic that nobody recovers ends the
// program, but one that is recovered must not leave the lock held: other tabs
// would wait for it until this page closes).
func (WebLocks) WithLock(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	locks := navigatorLocks()
	if locks.IsUndefined() {
		if spa.GuardsSharedStore(ctx) {
			return StorageLocks{}.WithLock(ctx, name, fn)
		}
		return pageLocks.WithLock(ctx, name, fn)
	}
	release, released, err := requestLock(ctx, locks, name)
	if err != nil {
		return err
	}
	// Return only once the lock is free, so the caller's next step (another
	// tab's, too) finds it so.
	fence := spa.GuardsSharedStore(ctx) // a session in localStorage
	defer func() {
		if fence {
			setFence(locks, name)
		}
		release()
		<-released
	}()
	if fence {
		awaitFence(locks, name)
	}
	return fn(ctx)
}

const fenceLockInfix = "#fence:"

// fenceLocks holds the release of this page's current fence lock per lock
// name: package state, like pageLocks, since every WebLocks value of the page
// shares navigator.locks.
var fenceLocks = struct {
	sync.Mutex
	release map[string]func()
}{release: map[string]func(){}}

// setFence writes a new fence token for name to localStorage and holds its
// fence lock in place of this page's previous one. Without localStorage, or
// when the write fails, there is nothing to fence.
func setFence(locks js.Value, name string) {
	store, err := lookupStorage("localStorage")
	if err != nil {
		return
	}
	b := make([]byte, 6)
	rand.Read(b)
	// Milliseconds in fixed-width hex first, so tokens order as strings by time.
	token := fmt.Sprintf("%012x.%s", time.Now().UnixMilli(), hex.EncodeToString(b))
	if err := setItem(store, StorePrefix+"fence."+name, token); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), FenceWait)
	defer cancel()
	release, _, err := requestLock(ctx, locks, name+fenceLockInfix+token) // a new name: granted at once
	if err != nil {
		return
	}
	fenceLocks.Lock()
	prev := fenceLocks.release[name]
	fenceLocks.release[name] = release
	fenceLocks.Unlock()
	if prev != nil {
		prev()
	}
}

// awaitFence waits, at most FenceWait, until this page's localStorage holds
// a fence token for name at least as new as the newest fence lock held in the
// origin: until the writes of the tabs that held the lock before have arrived.
func awaitFence(locks js.Value, name string) {
	store, err := lookupStorage("localStorage")
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), FenceWait)
	defer cancel()
	snapshot, err := Await(ctx, locks.Call("query"))
	if err != nil {
		return
	}
	newest := ""
	held := snapshot.Get("held")
	for i := range held.Length() {
		if n := held.Index(i).Get("name"); n.Type() == js.TypeString {
			if token, ok := strings.CutPrefix(n.String(), name+fenceLockInfix); ok && token > newest {
				newest = token
			}
		}
	}
	if newest == "" {
		return
	}
	for {
		if v := store.Call("getItem", StorePrefix+"fence."+name); v.Type() == js.TypeString && v.String() >= newest {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// setItem writes to a Web Storage object; the browser may refuse
// (QuotaExceededError, SecurityError).
func setItem(store js.Value, key, value string) (err error) {
	defer catchJS(&err)
	store.Call("setItem", key, value)
	return nil
}

// navigatorLocks returns navigator.locks, or undefined when there is none.
func navigatorLocks() js.Value {
	nav := js.Global().Get("navigator")
	if nav.Type() != js.TypeObject {
		return js.Undefined()
	}
	locks := nav.Get("locks")
	if locks.Type() != js.TypeObject || js.Global().Get("AbortController").Type() != js.TypeFunction {
		return js.Undefined()
	}
	return locks
}

// requestLock asks locks for the exclusive lock name and waits until it is
// granted, the request fails, or ctx ends. On success it returns the function
// that releases the lock, which must be called exactly once and does not
// block, and a channel that is closed once the browser has released it.
func requestLock(ctx context.Context, locks js.Value, name string) (release func(), released <-chan struct{}, err error) {
	ac := js.Global().Get("AbortController").New()
	granted := make(chan js.Value, 1) // the resolve function of the Promise that holds the lock
	settled := make(chan struct{})    // closed when the request's own Promise settles
	var rejected error                // why it rejected, set before settled closes

	var onGrant, onResolve, onReject js.Func
	releaseFuncs := func() {
		onGrant.Release()
		onResolve.Release()
		onReject.Release()
	}
	// The callback must not block: it hands a resolve function to Go and
	// returns the Promise that keeps the lock until Go calls it.
	onGrant = js.FuncOf(func(this js.Value, args []js.Value) any {
		var resolve js.Value
		executor := js.FuncOf(func(this js.Value, args []js.Value) any {
			resolve = args[0]
			return nil
		})
		p := js.Global().Get("Promise").New(executor) // calls executor before it returns
		executor.Release()
		granted <- resolve
		return p
	})
	// The request's Promise settles after the lock was released, or when
	// the request failed before a grant: only then is onGrant done with.
	onResolve = js.FuncOf(func(this js.Value, args []js.Value) any {
		close(settled)
		releaseFuncs()
		return nil
	})
	onReject = js.FuncOf(func(this js.Value, args []js.Value) any {
		rejected = &Rejection{Value: arg0(args)}
		close(settled)
		releaseFuncs()
		return nil
	})
	opts := js.Global().Get("Object").New()
	opts.Set("mode", "exclusive")
	opts.Set("signal", ac.Get("signal"))
	locks.Call("request", name, opts, onGrant).Call("then", onResolve, onReject)

	select {
	case resolve := <-granted:
		return func() { resolve.Invoke() }, settled, nil
	case <-settled:
		err := rejected
		if err == nil {
			err = errors.New("settled without granting the lock")
		}
		return nil, nil, fmt.Errorf("oidcwasm: web: Web Locks request for %q: %w", name, err)
	case <-ctx.Done():
		// Abort takes effect only while the request waits in the queue. A
		// lock granted meanwhile is handed back at once.
		ac.Call("abort")
		select {
		case resolve := <-granted:
			resolve.Invoke()
		case <-settled:
		}
		return nil, nil, ctx.Err()
	}
}

// pageLocks is the fallback of WebLocks: one lock per name for this page (this
// Go program) only. It is package state because every WebLocks value of the
// page must share it, as they share navigator.locks.
var pageLocks spa.LocalLocker

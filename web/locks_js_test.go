package web_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall/js"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

var lockSeq atomic.Int64

func lockName(t *testing.T) string {
	return fmt.Sprintf("oidcwasm.test.%s.%d", t.Name(), lockSeq.Add(1))
}

// withoutWebLocks hides navigator.locks for the rest of the test, as in an
// insecure context or an old browser.
func withoutWebLocks(t *testing.T) {
	t.Helper()
	inPage(t)
	nav := js.Global().Get("navigator")
	js.Global().Get("Object").Call("defineProperty", nav, "locks", map[string]any{"value": js.Undefined(), "configurable": true})
	t.Cleanup(func() { js.Global().Get("Reflect").Call("deleteProperty", nav, "locks") })
	if !nav.Get("locks").IsUndefined() {
		t.Fatal("navigator.locks is still there")
	}
}

// heldWebLocks lists the names of the Web Locks held and pending in the origin.
func heldWebLocks(t *testing.T) (held, pending []string) {
	t.Helper()
	v, err := web.Await(context.Background(), js.Global().Get("navigator").Get("locks").Call("query"))
	if err != nil {
		t.Fatal(err)
	}
	names := func(a js.Value) (out []string) {
		for i := range a.Length() {
			out = append(out, a.Index(i).Get("name").String())
		}
		return out
	}
	return names(v.Get("held")), names(v.Get("pending"))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lockModes runs a test with Web Locks and with the page-only fallback.
func lockModes(t *testing.T, test func(t *testing.T, webLocks bool)) {
	t.Run("WebLocks", func(t *testing.T) { inPage(t); test(t, true) })
	t.Run("PageFallback", func(t *testing.T) { withoutWebLocks(t); test(t, false) })
}

func TestWebLocksHoldersOfOneNameNeverOverlap(t *testing.T) {
	lockModes(t, func(t *testing.T, webLocks bool) {
		name := lockName(t)
		var active, maxActive, runs atomic.Int32
		var wg sync.WaitGroup
		for range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := web.WebLocks{}.WithLock(context.Background(), name, func(ctx context.Context) error {
					n := active.Add(1)
					if n > maxActive.Load() {
						maxActive.Store(n)
					}
					if webLocks {
						if held, _ := heldWebLocks(t); !contains(held, name) {
							t.Errorf("fn runs, but navigator.locks does not hold %q: %q", name, held)
						}
					}
					time.Sleep(10 * time.Millisecond)
					runs.Add(1)
					active.Add(-1)
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if maxActive.Load() != 1 || runs.Load() != 5 {
			t.Errorf("%d runs, at most %d at once; want 5, one at a time", runs.Load(), maxActive.Load())
		}
		if webLocks {
			if held, pending := heldWebLocks(t); contains(held, name) || contains(pending, name) {
				t.Errorf("%q is still held or pending after every WithLock returned", name)
			}
		}
	})
}

func TestWebLocksDifferentNamesRunInParallel(t *testing.T) {
	lockModes(t, func(t *testing.T, webLocks bool) {
		a, b := lockName(t), lockName(t)
		bRuns := make(chan struct{})
		errs := make(chan error, 2)
		go func() {
			errs <- web.WebLocks{}.WithLock(context.Background(), a, func(ctx context.Context) error {
				select {
				case <-bRuns: // b got its lock while a holds its own
					return nil
				case <-time.After(3 * time.Second):
					return errors.New("b never ran while a held its lock")
				}
			})
		}()
		go func() {
			errs <- web.WebLocks{}.WithLock(context.Background(), b, func(ctx context.Context) error {
				close(bRuns)
				return nil
			})
		}()
		for range 2 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
}

func TestWebLocksCancelWhileWaitingReturnsPromptly(t *testing.T) {
	lockModes(t, func(t *testing.T, webLocks bool) {
		name := lockName(t)
		holding, release := make(chan struct{}), make(chan struct{})
		holder := make(chan error, 1)
		go func() {
			holder <- web.WebLocks{}.WithLock(context.Background(), name, func(ctx context.Context) error {
				close(holding)
				<-release
				return nil
			})
		}()
		<-holding

		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		ran := false
		err := web.WebLocks{}.WithLock(ctx, name, func(ctx context.Context) error { ran = true; return nil })
		if !errors.Is(err, context.Canceled) || ran {
			t.Fatalf("WithLock = %v, fn ran: %v; want %v without running fn", err, ran, context.Canceled)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("WithLock returned %v after the cancel", d)
		}
		if webLocks {
			if _, pending := heldWebLocks(t); contains(pending, name) {
				t.Errorf("the cancelled request for %q still waits in navigator.locks", name)
			}
		}

		// A context that is already done does not even ask.
		if err := (web.WebLocks{}).WithLock(ctx, name, func(ctx context.Context) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("WithLock with a done context = %v", err)
		}

		close(release)
		if err := <-holder; err != nil {
			t.Fatal(err)
		}
		quick, cancelQuick := context.WithTimeout(context.Background(), time.Second)
		defer cancelQuick()
		if err := (web.WebLocks{}).WithLock(quick, name, func(ctx context.Context) error { return nil }); err != nil {
			t.Errorf("the lock is not free after its holder returned: %v", err)
		}
	})
}

func TestWebLocksAreReleasedWhenFnFailsOrPanics(t *testing.T) {
	lockModes(t, func(t *testing.T, webLocks bool) {
		name := lockName(t)
		boom := errors.New("boom")
		if err := (web.WebLocks{}).WithLock(context.Background(), name, func(ctx context.Context) error { return boom }); !errors.Is(err, boom) {
			t.Errorf("WithLock = %v, want fn's error", err)
		}

		recovered := func() (r any) {
			defer func() { r = recover() }()
			web.WebLocks{}.WithLock(context.Background(), name, func(ctx context.Context) error { panic("fn panics") })
			return nil
		}()
		if recovered != "fn panics" {
			t.Errorf("recovered %v, want fn's panic to reach the caller", recovered)
		}

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := (web.WebLocks{}).WithLock(ctx, name, func(ctx context.Context) error { return nil }); err != nil {
			t.Errorf("the lock is still held after fn failed and panicked: %v", err)
		}
	})
}

// TestWebLocksHolderSeesThePreviousHoldersLocalStorageWrites plays the tab
// that held the lock before: it holds the fence lock of a token, but the
// localStorage writes it made (a value, then the token) arrive late, as they
// may in another renderer. fn must not run before they have arrived.
func TestWebLocksHolderSeesThePreviousHoldersLocalStorageWrites(t *testing.T) {
	inPage(t)
	name := lockName(t)
	fenceKey := web.StorePrefix + "fence." + name
	valueKey := web.StorePrefix + "test." + name
	ls := js.Global().Get("localStorage")
	t.Cleanup(func() { ls.Call("removeItem", fenceKey); ls.Call("removeItem", valueKey) })
	ls.Call("setItem", valueKey, "old")

	token := holdOthersFence(t, name)

	const late = 300 * time.Millisecond
	time.AfterFunc(late, func() {
		ls.Call("setItem", valueKey, "new")
		ls.Call("setItem", fenceKey, token)
	})
	start := time.Now()
	var got string
	if err := (web.WebLocks{}).WithLock(spa.WithSharedStore(context.Background()), name, func(ctx context.Context) error {
		got = ls.Call("getItem", valueKey).String()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != "new" || time.Since(start) < late {
		t.Errorf("fn read %q after %v, want the late write %q (after %v)", got, time.Since(start), "new", late)
	}

	// This page fenced its own turn: its own token, and its fence lock held.
	mine := ls.Call("getItem", fenceKey).String()
	if mine == token {
		t.Errorf("fence token after WithLock %q, want this page's own", mine)
	}
	if held, _ := heldWebLocks(t); !contains(held, name+"#fence:"+mine) {
		t.Errorf("the page does not hold its fence lock %q: %q", name+"#fence:"+mine, held)
	}
}

// TestWebLocksFencesOnlyALockGuardingLocalStorage: a session in
// sessionStorage or memory is one tab's, so its renewal lock neither waits
// for another tab's localStorage writes nor writes a fence of its own.
func TestWebLocksFencesOnlyALockGuardingLocalStorage(t *testing.T) {
	inPage(t)
	name := lockName(t)
	fenceKey := web.StorePrefix + "fence." + name
	ls := js.Global().Get("localStorage")
	t.Cleanup(func() { ls.Call("removeItem", fenceKey) })

	// Another tab's fence whose localStorage write never arrives.
	token := holdOthersFence(t, name)

	start := time.Now()
	if err := (web.WebLocks{}).WithLock(context.Background(), name, func(ctx context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited >= web.FenceWait {
		t.Errorf("a lock not guarding localStorage waited %v for another tab's fence", waited)
	}
	if v := ls.Call("getItem", fenceKey); !v.IsNull() {
		t.Errorf("a lock not guarding localStorage wrote fence %q", v)
	}
	if locks, _ := heldWebLocks(t); slices.ContainsFunc(locks, func(l string) bool { return l != name+"#fence:"+token && strings.HasPrefix(l, name+"#fence:") }) {
		t.Errorf("a lock not guarding localStorage holds a fence lock: %q", locks)
	}
}

// holdOthersFence plays another tab that held the lock name before: it holds
// the fence lock of a fresh token (until the test ends) and returns the
// token, whose localStorage write the test makes (or not) itself.
func holdOthersFence(t *testing.T, name string) (token string) {
	t.Helper()
	token = fmt.Sprintf("%012x.other", time.Now().UnixMilli())
	held := make(chan struct{})
	var release js.Value
	grant := js.FuncOf(func(this js.Value, args []js.Value) any {
		return js.Global().Get("Promise").New(js.FuncOf(func(this js.Value, args []js.Value) any {
			release = args[0]
			close(held)
			return nil
		}))
	})
	defer grant.Release()
	js.Global().Get("navigator").Get("locks").Call("request", name+"#fence:"+token, grant)
	<-held
	t.Cleanup(func() { release.Invoke() })
	return token
}

package web_test

import (
	"context"
	"fmt"
	"syscall/js"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

// TestWebLocksWithoutTheAPIFallsBackToTheStorageLockForASharedStore: without
// navigator.locks, a lock guarding localStorage waits for another tab's
// lease in localStorage (the origin's lock, not just this page's), takes it
// once that tab releases, and leaves no lease behind; a lock of a session
// only this tab has does not wait for other tabs.
func TestWebLocksWithoutTheAPIFallsBackToTheStorageLockForASharedStore(t *testing.T) {
	withoutWebLocks(t)
	name := lockName(t)
	key := web.StorePrefix + "lock." + name
	ls := js.Global().Get("localStorage")
	t.Cleanup(func() { ls.Call("removeItem", key) })
	ls.Call("setItem", key, fmt.Sprintf("%d.othertab", time.Now().Add(time.Minute).UnixMilli()))

	// A session in sessionStorage: another tab's renewals are its own.
	start := time.Now()
	if err := (web.WebLocks{}).WithLock(context.Background(), name, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a lock not guarding localStorage waited %v for another tab", d)
	}

	ran := make(chan time.Time, 1)
	go func() {
		err := (web.WebLocks{}).WithLock(spa.WithSharedStore(context.Background()), name, func(context.Context) error {
			ran <- time.Now()
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-ran:
		t.Fatal("the lock was taken while another tab held it in localStorage")
	case <-time.After(500 * time.Millisecond):
	}
	released := time.Now()
	ls.Call("removeItem", key) // the other tab is done
	select {
	case at := <-ran:
		if d := at.Sub(released); d < web.StorageLockSettle {
			t.Errorf("fn ran %v after the release, before the settle time %v", d, web.StorageLockSettle)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the lock was never taken after the other tab released it")
	}
	deadline := time.Now().Add(time.Second)
	for !ls.Call("getItem", key).IsNull() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if v := ls.Call("getItem", key); !v.IsNull() {
		t.Errorf("the lease %q is left after the lock was released", v.String())
	}
}

// With Web Locks the storage lock is never used: no lease is written.
func TestWebLocksWithTheAPIWriteNoLease(t *testing.T) {
	inPage(t)
	name := lockName(t)
	key := web.StorePrefix + "lock." + name
	err := (web.WebLocks{}).WithLock(spa.WithSharedStore(context.Background()), name, func(context.Context) error {
		if v := js.Global().Get("localStorage").Call("getItem", key); !v.IsNull() {
			t.Errorf("a lease %q while Web Locks hold the lock", v.String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

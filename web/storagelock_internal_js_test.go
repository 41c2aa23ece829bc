package web

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall/js"
	"testing"
	"time"
)

// The tests of the localStorage protocol itself: each storageLock.acquire
// call is a tab of its own (its own owner), all on this page's localStorage,
// where another tab's writes would arrive a few milliseconds late.

var storageLockSeq atomic.Int64

func testStorageLock(t *testing.T) storageLock {
	t.Helper()
	store, err := lookupStorage("localStorage")
	if err != nil {
		t.Fatal(err)
	}
	l := storageLock{store: store, key: fmt.Sprintf("%stest.%s.%d", storageLockPrefix, t.Name(), storageLockSeq.Add(1)),
		leaseFor: 2 * time.Second, settle: 40 * time.Millisecond}
	t.Cleanup(func() { store.Call("removeItem", l.key) })
	return l
}

func TestStorageLockTabsNeverHoldItTogether(t *testing.T) {
	l := testStorageLock(t)
	var active, most, runs atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				owner, err := l.acquire(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				n := active.Add(1)
				if n > most.Load() {
					most.Store(n)
				}
				time.Sleep(15 * time.Millisecond)
				active.Add(-1)
				runs.Add(1)
				l.release(owner)
			}
		}()
	}
	wg.Wait()
	if most.Load() != 1 || runs.Load() != 12 {
		t.Errorf("%d holders at once over %d runs, want 1 over 12", most.Load(), runs.Load())
	}
	if v := l.store.Call("getItem", l.key); !v.IsNull() {
		t.Errorf("the key holds %q after the last release", v.String())
	}
}

// A tab whose write raced another tab's and lost (the other's lease is what
// the key holds once the settle time is over) does not take the lock: it
// waits for that lease, then takes it.
func TestStorageLockLosesARaceToALaterWriterAndWaits(t *testing.T) {
	l := testStorageLock(t)
	l.settle = 300 * time.Millisecond
	got := make(chan error, 1)
	go func() {
		_, err := l.acquire(context.Background())
		got <- err
	}()
	time.Sleep(100 * time.Millisecond) // within the first tab's settle time
	other := fmt.Sprintf("%d.othertab", time.Now().Add(time.Minute).UnixMilli())
	l.store.Call("setItem", l.key, other)
	select {
	case err := <-got:
		t.Fatalf("acquire returned (%v) though another tab wrote its lease after it", err)
	case <-time.After(500 * time.Millisecond):
	}
	if v := l.store.Call("getItem", l.key).String(); v != other {
		t.Fatalf("the loser overwrote the other tab's lease: %q", v)
	}
	l.store.Call("removeItem", l.key) // the other tab releases
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("acquire did not take the lock the other tab released")
	}
}

// The lease of a tab that went away (closed while holding the lock) ends:
// the next tab takes the lock once it expired, and not before.
func TestStorageLockTakesOverAnExpiredLease(t *testing.T) {
	l := testStorageLock(t)
	var now atomic.Int64
	now.Store(time.Now().UnixMilli())
	l.now = func() time.Time { return time.UnixMilli(now.Load()) }
	l.store.Call("setItem", l.key, fmt.Sprintf("%d.gonetab", now.Load()+5000))
	got := make(chan string, 1)
	go func() {
		owner, _ := l.acquire(context.Background())
		got <- owner
	}()
	select {
	case <-got:
		t.Fatal("the lock was taken while the other tab's lease was valid")
	case <-time.After(300 * time.Millisecond):
	}
	now.Add(5001)
	select {
	case owner := <-got:
		if o, _, _ := l.lease(); o != owner {
			t.Errorf("the key names %q, not the new holder", o)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the expired lease was never taken over")
	}
}

func TestStorageLockCancelWhileWaitingLeavesTheHoldersLease(t *testing.T) {
	l := testStorageLock(t)
	held := fmt.Sprintf("%d.holder", time.Now().Add(time.Minute).UnixMilli())
	l.store.Call("setItem", l.key, held)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := l.acquire(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("acquire: %v after %v, want the deadline's error at once", err, time.Since(start))
	}
	if v := l.store.Call("getItem", l.key).String(); v != held {
		t.Errorf("the holder's lease became %q", v)
	}
}

// While fn runs the lease is renewed, so a long renewal is never taken
// over; once the lease is another's, keep stops writing.
func TestStorageLockKeepsTheLeaseWhileHeld(t *testing.T) {
	l := testStorageLock(t)
	l.leaseFor = 400 * time.Millisecond
	owner, err := l.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stop := l.keep(owner)
	defer stop()
	time.Sleep(time.Second) // 2.5 leases
	o, exp, ok := l.lease()
	if !ok || o != owner || !time.Now().Before(exp) {
		t.Fatalf("after 2.5 lease times the key holds owner %q until %v (ok %v), want a live lease of %q", o, exp, ok, owner)
	}
	other := fmt.Sprintf("%d.thief", time.Now().Add(time.Minute).UnixMilli())
	l.store.Call("setItem", l.key, other)
	time.Sleep(300 * time.Millisecond)
	if v := l.store.Call("getItem", l.key).String(); v != other {
		t.Errorf("keep overwrote another owner's lease: %q", v)
	}
	l.release(owner) // not owner's any more: left alone
	if v := l.store.Call("getItem", l.key); v.Type() != js.TypeString || v.String() != other {
		t.Errorf("release removed another owner's lease")
	}
}

package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

// StorageLocks is a spa.Locker of the origin's tabs built on localStorage,
// for browsers without Web Locks (WebLocks falls back to it). It keeps the
// promise WebLocks keeps: one renewal of a config at a time across the
// origin's tabs, so a rotated refresh token is never sent twice. The zero
// value is ready to use.
//
// The lock of name is the localStorage key StorePrefix+"lock."+name, whose
// value is a lease: "<expiry, Unix ms>.<owner>". A tab takes it by
//
//  1. waiting until the key holds no lease of another owner that has not
//     expired (polling every StorageLockPoll, with jitter);
//  2. writing its own lease under a fresh random owner;
//  3. waiting StorageLockSettle, long enough for a write of another tab that
//     raced its own to arrive (browsers hand localStorage changes to the
//     other tabs asynchronously, in milliseconds, and every tab then sees the
//     last writer's value);
//  4. reading the key again: its own lease means the lock is its, another's
//     that it lost the race, and it starts over at 1.
//
// While fn runs, the lease is renewed every StorageLockLease/4; when fn
// returns, the key is removed (only while it still holds this owner's
// lease). A tab that closes while it holds the lock leaves a lease that
// expires within StorageLockLease, so the others wait no longer than that.
// Within the page, the callers of one name take turns first (spa.LocalLocker),
// so only one of them competes in localStorage.
//
// The release is a localStorage write made after everything fn wrote, and a
// tab's writes reach another tab in the order they were made: a tab that saw
// the lock free has seen what the holder stored, so this lock needs no
// fence of its own (WebLocks' fence: see there).
//
// Mutual exclusion holds as long as a tab's localStorage writes reach the
// other tabs within StorageLockSettle. Without localStorage (disabled,
// opaque origin), or when the browser refuses the lease's write, the lock
// is this page's only, as spa.LocalLocker's.
type StorageLocks struct{}

// The timing of StorageLocks.
const (
	StorageLockLease  = 10 * time.Second
	StorageLockSettle = 150 * time.Millisecond
	StorageLockPoll   = 50 * time.Millisecond
)

var _ spa.Locker = StorageLocks{}

// storageLockPrefix starts the localStorage key of each lock.
const storageLockPrefix = StorePrefix + "lock."

// WithLock implements spa.Locker: it runs fn holding the lock name of the
// origin's tabs, or returns ctx.Err() when ctx ends first. It blocks, so it
// must not run inside a js.FuncOf callback.
func (StorageLocks) WithLock(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	return pageLocks.WithLock(ctx, name, func(ctx context.Context) error {
		store, err := lookupStorage("localStorage")
		if err != nil {
			return fn(ctx)
		}
		l := storageLock{store: store, key: storageLockPrefix + name}
		owner, err := l.acquire(ctx)
		switch {
		case err == errLeaseRefused:
			return fn(ctx)
		case err != nil:
			return err
		}
		stop := l.keep(owner)
		defer func() {
			stop()
			l.release(owner)
		}()
		return fn(ctx)
	})
}

// storageLock is one lock's key in one Storage object.
type storageLock struct {
	store js.Value
	key   string
	// now is the clock (time.Now when nil); tests move it. leaseFor and
	// settle replace StorageLockLease and StorageLockSettle when set.
	now              func() time.Time
	leaseFor, settle time.Duration
}

func (l storageLock) leaseTime() time.Duration {
	if l.leaseFor > 0 {
		return l.leaseFor
	}
	return StorageLockLease
}

func (l storageLock) settleTime() time.Duration {
	if l.settle > 0 {
		return l.settle
	}
	return StorageLockSettle
}

// errLeaseRefused: the browser refused to write the lease.
var errLeaseRefused = fmt.Errorf("oidcwasm: web: localStorage refused the lock's lease")

func (l storageLock) clock() time.Time {
	if l.now != nil {
		return l.now()
	}
	return time.Now()
}

// lease reads the key: its owner and expiry, or ok false when it holds no
// lease (absent, or not one of ours).
func (l storageLock) lease() (owner string, expiry time.Time, ok bool) {
	v := l.store.Call("getItem", l.key)
	if v.Type() != js.TypeString {
		return "", time.Time{}, false
	}
	ms, owner, found := strings.Cut(v.String(), ".")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !found || err != nil || owner == "" {
		return "", time.Time{}, false
	}
	return owner, time.UnixMilli(n), true
}

func (l storageLock) write(owner string) error {
	return setItem(l.store, l.key, strconv.FormatInt(l.clock().Add(l.leaseTime()).UnixMilli(), 10)+"."+owner)
}

// acquire takes the lock and returns the owner it holds it under.
func (l storageLock) acquire(ctx context.Context) (string, error) {
	b := make([]byte, 9)
	rand.Read(b)
	owner := hex.EncodeToString(b)
	for {
		for {
			o, exp, ok := l.lease()
			if !ok || o == owner || !l.clock().Before(exp) {
				break
			}
			if err := sleep(ctx, StorageLockPoll/2+jitter(StorageLockPoll)); err != nil {
				return "", err
			}
		}
		if err := l.write(owner); err != nil {
			return "", errLeaseRefused
		}
		if err := sleep(ctx, l.settleTime()); err != nil {
			l.release(owner)
			return "", err
		}
		if o, _, ok := l.lease(); ok && o == owner {
			return owner, nil
		}
	}
}

// keep renews owner's lease until stop is called; it stops by itself once
// the lease is no longer owner's.
func (l storageLock) keep(owner string) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(l.leaseTime() / 4)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if o, _, ok := l.lease(); !ok || o != owner || l.write(owner) != nil {
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// release removes the key while it holds owner's lease.
func (l storageLock) release(owner string) {
	if o, _, ok := l.lease(); ok && o == owner {
		func() {
			var err error
			defer catchJS(&err)
			l.store.Call("removeItem", l.key)
		}()
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// jitter is a random duration below max, so tabs that poll do not keep
// meeting.
func jitter(max time.Duration) time.Duration {
	var b [8]byte
	rand.Read(b[:])
	var n uint64
	for _, x := range b {
		n = n<<8 | uint64(x)
	}
	return time.Duration(n % uint64(max))
}

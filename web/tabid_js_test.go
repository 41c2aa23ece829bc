package web_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall/js"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

// Two tabs in one page: each tab's sessionStorage is a store with its own
// prefix. "Duplicate tab" is a copy of every key of the original's store into
// a fresh one, as the browser copies sessionStorage; the copy's page then
// starts while the original's page still lives (its Tab is not closed).

// tabModes runs a test with Web Locks and with the BroadcastChannel fallback.
func tabModes(t *testing.T, test func(t *testing.T)) {
	t.Run("WebLocks", func(t *testing.T) { inPage(t); test(t) })
	t.Run("BroadcastChannel", func(t *testing.T) { withoutWebLocks(t); test(t) })
}

// duplicate copies every key of a tab's store into a new one.
func duplicate(t *testing.T, from spa.Store) spa.Store {
	t.Helper()
	to := web.SessionStorage(testPrefix("tab"))
	for _, k := range from.Keys("") {
		v, _ := from.Get(k)
		if err := to.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

func claim(t *testing.T, st spa.Store) *web.Tab {
	t.Helper()
	tab, err := web.ClaimTab(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tab.Close)
	return tab
}

// signedInTab is a tab's store with a session that has a refresh token.
func signedInTab(t *testing.T) (*fakeop.OP, spa.Config, spa.Store) {
	t.Helper()
	op := fakeop.New(t, spa.SystemClock())
	c := testConfig(fmt.Sprintf("tab%d", testSeq.Add(1)), spa.StorageSession)
	st := web.SessionStorage(testPrefix("tab"))
	m, _ := tabManager(t, op, map[string]spa.Store{spa.StorageSession: st}, c)
	if s, err := op.Login(context.Background(), m, c.ConfigID); err != nil || s.RefreshToken == "" {
		t.Fatalf("login: %v (refresh token %v)", err, s != nil && s.RefreshToken != "")
	}
	return op, c, st
}

// storedSession is the session a page starting on st reads.
func storedSession(t *testing.T, op *fakeop.OP, c spa.Config, st spa.Store) *spa.Session {
	t.Helper()
	m, _ := tabManager(t, op, map[string]spa.Store{spa.StorageSession: st}, c)
	s, _ := m.Session(c.ConfigID)
	if s == nil {
		t.Fatal("no session")
	}
	return s
}

func TestDuplicatedTabDropsItsCopiedRefreshTokenAndTakesANewID(t *testing.T) {
	tabModes(t, func(t *testing.T) {
		op, c, original := signedInTab(t)
		first := claim(t, original)
		if first.Duplicate() || first.ID() == "" {
			t.Fatalf("the first page of a tab: duplicate %v, ID %q", first.Duplicate(), first.ID())
		}
		before := storedSession(t, op, c, original)

		copied := duplicate(t, original)
		start := time.Now()
		dup := claim(t, copied)
		took := time.Since(start)
		if !dup.Duplicate() {
			t.Fatal("the duplicated tab does not know it is one")
		}
		if dup.ID() == first.ID() || dup.ID() == "" {
			t.Errorf("the duplicate's ID is %q, the original's %q: want a new one", dup.ID(), first.ID())
		}
		if got := dup.Dropped(); !slices.Equal(got, []string{c.ConfigID}) {
			t.Errorf("Dropped() = %q, want [%s]", got, c.ConfigID)
		}
		t.Logf("the duplicate knew after %v", took)

		// The copy keeps its access token, loses the refresh token.
		s := storedSession(t, op, c, copied)
		if s.RefreshToken != "" {
			t.Error("the duplicate still holds the copied refresh token")
		}
		if s.AccessToken != before.AccessToken {
			t.Error("the duplicate lost its access token")
		}
		// The original keeps both, and its ID.
		if s := storedSession(t, op, c, original); s.RefreshToken != before.RefreshToken || s.AccessToken != before.AccessToken {
			t.Error("the original tab's session changed")
		}
		if first.ID() != claimedID(t, original) {
			t.Error("the original tab's stored ID changed")
		}
		if dup.ID() != claimedID(t, copied) {
			t.Error("the duplicate did not store its new ID")
		}

		// The duplicate's next page load (a reload) keeps the new ID.
		dup.Close()
		again := claim(t, copied)
		if again.Duplicate() || again.ID() != dup.ID() {
			t.Errorf("the duplicate's reload: duplicate %v, ID %q; want %q", again.Duplicate(), again.ID(), dup.ID())
		}
	})
}

// claimedID is the tab ID stored in a tab's store, as the next page would read it.
func claimedID(t *testing.T, st spa.Store) string {
	t.Helper()
	for _, k := range st.Keys("") {
		if v, _ := st.Get(k); k == "oidcwasm.tab.id" {
			return v
		}
	}
	t.Fatal("no tab ID stored")
	return ""
}

func TestReloadedTabKeepsItsIDAndRefreshToken(t *testing.T) {
	tabModes(t, func(t *testing.T) {
		op, c, st := signedInTab(t)
		first := claim(t, st)
		first.Close() // the page unloads
		start := time.Now()
		next := claim(t, st)
		if next.Duplicate() || next.ID() != first.ID() {
			t.Errorf("after a reload: duplicate %v, ID %q; want %q", next.Duplicate(), next.ID(), first.ID())
		}
		t.Logf("the reloaded page knew after %v", time.Since(start))
		if s := storedSession(t, op, c, st); s.RefreshToken == "" {
			t.Error("a reload dropped the refresh token")
		}
	})
}

// The page that replaces this one in the tab gets the ID at once, even
// when the old document is still there: the lock goes at pagehide.
func TestTabLockIsReleasedAtPagehide(t *testing.T) {
	inPage(t) // with Web Locks (the fallback has no lock to hold)
	_, _, st := signedInTab(t)
	first := claim(t, st)
	defer first.Close()
	js.Global().Call("dispatchEvent", js.Global().Get("Event").New("pagehide"))
	start := time.Now()
	next := claim(t, st) // the old Tab was not closed: only its pagehide ran
	defer next.Close()
	if next.Duplicate() || next.ID() != first.ID() {
		t.Errorf("after pagehide: duplicate %v, ID %q; want %q", next.Duplicate(), next.ID(), first.ID())
	}
	if d := time.Since(start); d >= web.TabClaimGrace {
		t.Errorf("the next page waited %v for the lock, want less than the grace %v", d, web.TabClaimGrace)
	}
}

func TestTabsStartingTogetherLetExactlyOneKeepTheID(t *testing.T) {
	tabModes(t, func(t *testing.T) {
		_, _, st := signedInTab(t)
		seed := claim(t, st) // store the ID, then unload
		id := seed.ID()
		seed.Close()
		copies := []spa.Store{duplicate(t, st), duplicate(t, st), st}
		tabs := make([]*web.Tab, len(copies))
		done := make(chan struct{})
		for i, s := range copies {
			go func() {
				tab, err := web.ClaimTab(context.Background(), s)
				if err != nil {
					t.Error(err)
				}
				tabs[i] = tab
				done <- struct{}{}
			}()
		}
		for range copies {
			<-done
		}
		keep := 0
		for _, tab := range tabs {
			if tab == nil {
				t.FailNow()
			}
			t.Cleanup(tab.Close)
			if !tab.Duplicate() {
				keep++
				if tab.ID() != id {
					t.Errorf("the tab that kept the ID has %q, want %q", tab.ID(), id)
				}
			} else if tab.ID() == id {
				t.Error("a duplicate kept the ID")
			}
		}
		if keep != 1 {
			t.Errorf("%d of %d tabs kept the ID, want exactly 1", keep, len(tabs))
		}
	})
}

func TestClaimTabGivesUpWithItsContext(t *testing.T) {
	// ClaimTab waits for the lock while a live page holds it, and over the
	// channel while nobody answers: in both cases ctx ends the wait.
	for _, tt := range []struct {
		name   string
		setup  func(t *testing.T)
		waitOn func(t *testing.T) spa.Store
	}{
		{"WebLocks: the ID is held", func(t *testing.T) { inPage(t) }, func(t *testing.T) spa.Store {
			st := web.SessionStorage(testPrefix("tab"))
			claim(t, st)
			return duplicate(t, st)
		}},
		{"BroadcastChannel: no answer yet", withoutWebLocks, func(t *testing.T) spa.Store {
			st := web.SessionStorage(testPrefix("tab"))
			st.Set("oidcwasm.tab.id", "stored-by-an-earlier-page")
			return st
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup(t)
			st := tt.waitOn(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			start := time.Now()
			tab, err := web.ClaimTab(ctx, st)
			if !errors.Is(err, context.DeadlineExceeded) {
				if tab != nil {
					tab.Close()
				}
				t.Fatalf("ClaimTab = %v, want %v", err, context.DeadlineExceeded)
			}
			if d := time.Since(start); d > 150*time.Millisecond {
				t.Errorf("ClaimTab returned after %v", d)
			}
			done, cancelDone := context.WithCancel(context.Background())
			cancelDone()
			if _, err := web.ClaimTab(done, st); !errors.Is(err, context.Canceled) {
				t.Errorf("ClaimTab with a done context = %v", err)
			}
		})
	}
}

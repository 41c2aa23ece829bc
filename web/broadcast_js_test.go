package web_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall/js"
	"testing"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

var testSeq atomic.Int64

// testPrefix is a store prefix no other test uses.
func testPrefix(kind string) string {
	return fmt.Sprintf("oidcwasm-test.%s.%d.", kind, testSeq.Add(1))
}

// testConfig is a config on the fake OP with a refresh token, stored in storage.
func testConfig(id, storage string) spa.Config {
	return spa.Config{ConfigID: id, Authority: fakeop.Issuer, ClientID: "client-" + id,
		RedirectURL: "https://app.example/cb", Scope: "openid profile offline_access",
		UseRefreshToken: true, Storage: storage}
}

// eventLog keeps a Manager's events.
type eventLog struct {
	mu  sync.Mutex
	evs []string
}

func (l *eventLog) add(ev spa.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, string(ev.Type))
}

func (l *eventLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.evs, " ")
}

// tabManager is a Manager as one tab has it: window-wide stores by prefix.
func tabManager(t *testing.T, op *fakeop.OP, stores map[string]spa.Store, configs ...spa.Config) (*spa.Manager, *eventLog) {
	t.Helper()
	m := spa.NewManager(spa.Options{Fetcher: op.Fetcher(), Stores: stores, Locker: web.WebLocks{}})
	log := &eventLog{}
	t.Cleanup(m.Subscribe(log.add))
	if err := m.Configure(context.Background(), configs); err != nil {
		t.Fatal(err)
	}
	return m, log
}

// channelSpy records, as JSON, every message posted on the oidcwasm channel.
type channelSpy struct {
	ch   js.Value
	f    js.Func
	mu   sync.Mutex
	msgs []string
}

func spyChannel(t *testing.T) *channelSpy {
	s := &channelSpy{ch: js.Global().Get("BroadcastChannel").New(web.BroadcastChannelName)}
	s.f = js.FuncOf(func(this js.Value, args []js.Value) any {
		s.mu.Lock()
		s.msgs = append(s.msgs, js.Global().Get("JSON").Call("stringify", args[0].Get("data")).String())
		s.mu.Unlock()
		return nil
	})
	s.ch.Call("addEventListener", "message", s.f)
	t.Cleanup(func() {
		s.ch.Call("close")
		s.f.Release()
	})
	return s
}

// flush waits until every message posted on the channel so far has reached
// the spy: it posts a marker from a channel of its own and waits for it. The
// messages of one page's channels reach each destination in the order they
// were posted (HTML, BroadcastChannel postMessage: one task per destination,
// on one task source), so what came before the marker is all there is.
func (s *channelSpy) flush(t *testing.T) {
	t.Helper()
	marker := fmt.Sprintf("flush%d", testSeq.Add(1))
	ch := js.Global().Get("BroadcastChannel").New(web.BroadcastChannelName)
	defer ch.Call("close")
	msg := js.Global().Get("Object").New()
	msg.Set("type", "flush")
	msg.Set("configId", marker)
	ch.Call("postMessage", msg)
	eventually(t, "the channel's marker", func() bool { return len(s.about(marker)) == 1 })
}

// heard returns a log of m's events that a Broadcast made before the call
// has already handled: subscribers run in subscription order, so when this
// one has an event, the Broadcast has posted whatever it posts for it.
func heard(t *testing.T, m *spa.Manager) *eventLog {
	l := &eventLog{}
	t.Cleanup(m.Subscribe(l.add))
	return l
}

// about returns the messages that name configID.
func (s *channelSpy) about(configID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.msgs {
		if strings.Contains(m, `"configId":"`+configID+`"`) {
			out = append(out, m)
		}
	}
	return out
}

func accessToken(m *spa.Manager, id string) string {
	s, _ := m.Session(id)
	if s == nil {
		return ""
	}
	return s.AccessToken
}

func TestBroadcastHandsSharedSessionsToTheOtherTab(t *testing.T) {
	inPage(t)
	id := fmt.Sprintf("shared%d", testSeq.Add(1))
	op := fakeop.New(t, spa.SystemClock())
	prefix := testPrefix("local")
	// Two tabs: their own Managers and channel instances, one localStorage.
	mA, _ := tabManager(t, op, map[string]spa.Store{spa.StorageLocal: web.LocalStorage(prefix)}, testConfig(id, spa.StorageLocal))
	mB, logB := tabManager(t, op, map[string]spa.Store{spa.StorageLocal: web.LocalStorage(prefix)}, testConfig(id, spa.StorageLocal))
	spy := spyChannel(t)
	bA, bB := web.NewBroadcast(mA), web.NewBroadcast(mB)
	t.Cleanup(bA.Close)
	t.Cleanup(bB.Close)
	afterB := heard(t, mB)

	var tokens []string
	remember := func(m *spa.Manager) {
		if s, _ := m.Session(id); s != nil {
			tokens = append(tokens, s.AccessToken, s.RefreshToken, s.IDToken)
		}
	}

	// Sign-in in A shows up in B.
	if _, err := op.Login(context.Background(), mA, id); err != nil {
		t.Fatal(err)
	}
	remember(mA)
	eventually(t, "B to have A's session", func() bool { return accessToken(mB, id) == accessToken(mA, id) })

	// A renewal in A (refresh-token rotation) too: B must not go on with the old tokens.
	if _, err := mA.Renew(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	remember(mA)
	eventually(t, "B to have A's renewed session", func() bool { return accessToken(mB, id) == accessToken(mA, id) })
	if sB, _ := mB.Session(id); sB.RefreshToken != tokens[4] {
		t.Error("B does not hold the rotated refresh token")
	}

	// And so does a logout.
	if err := mA.LogoffLocal(id); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B to have handled the logout", func() bool { return strings.HasSuffix(afterB.String(), "loggedOut") })
	spy.flush(t) // an echo from B, if there were one, is on the channel now
	msgs := spy.about(id)
	want := []string{
		`{"type":"session","configId":"` + id + `"}`,
		`{"type":"session","configId":"` + id + `"}`,
		`{"type":"loggedOut","configId":"` + id + `"}`,
	}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("messages on the channel:\n%s\nwant, with no echo from B:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
	for _, m := range msgs {
		for _, tok := range tokens {
			if tok != "" && strings.Contains(m, tok) {
				t.Errorf("a message holds a token: %s", m)
			}
		}
	}
	if got, want := logB.String(), "configLoaded authenticated tokenRefreshed loggedOut"; got != want {
		t.Errorf("B's events: %s; want %s", got, want)
	}
}

// TestBroadcastEndsTabLocalSessionsInEveryTab: sessions in sessionStorage
// or memory belong to their tab, so sign-ins and renewals are never told; but
// the tabs share the user's session at the provider, so a logoff in one ends
// the config's session in the others, with one message and no echo.
func TestBroadcastEndsTabLocalSessionsInEveryTab(t *testing.T) {
	inPage(t)
	for _, storage := range []string{spa.StorageSession, spa.StorageMemory} {
		t.Run(storage, func(t *testing.T) {
			id := fmt.Sprintf("own%d", testSeq.Add(1))
			op := fakeop.New(t, spa.SystemClock())
			other := fmt.Sprintf("other%d", testSeq.Add(1))
			stores := func() map[string]spa.Store {
				return map[string]spa.Store{storage: spa.NewMemoryStore()}
			}
			mA, _ := tabManager(t, op, stores(), testConfig(id, storage), testConfig(other, storage))
			mB, logB := tabManager(t, op, stores(), testConfig(id, storage), testConfig(other, storage))
			spy := spyChannel(t)
			bA, bB := web.NewBroadcast(mA), web.NewBroadcast(mB)
			defer bA.Close()
			defer bB.Close()
			afterB := heard(t, mB)

			// Each tab signs in on its own; A also renews.
			for _, m := range []*spa.Manager{mA, mB, mB} {
				if _, err := op.Login(context.Background(), m, id); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := op.Login(context.Background(), mB, other); err != nil {
				t.Fatal(err)
			}
			if _, err := mA.Renew(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			spy.flush(t) // the events were emitted before Login and Renew returned
			if msgs := spy.about(id); len(msgs) != 0 {
				t.Fatalf("a tab's own sign-in or renewal was broadcast: %q", msgs)
			}

			if err := mA.LogoffLocal(id); err != nil {
				t.Fatal(err)
			}
			eventually(t, "B to have handled the logoff", func() bool { return strings.HasSuffix(afterB.String(), "loggedOut") })
			spy.flush(t) // an echo from B, if there were one, is on the channel now
			if got, want := strings.Join(spy.about(id), "\n"), `{"type":"loggedOut","configId":"`+id+`"}`; got != want {
				t.Errorf("messages: %s\nwant, with no echo from B: %s", got, want)
			}
			if !strings.HasSuffix(logB.String(), "loggedOut") {
				t.Errorf("B's events: %s, want loggedOut last", logB)
			}
			if !mB.IsAuthenticated(other) {
				t.Error("B's other config was signed out too")
			}
		})
	}
}

func TestBroadcastStopsAtClose(t *testing.T) {
	inPage(t)
	id := fmt.Sprintf("closed%d", testSeq.Add(1))
	op := fakeop.New(t, spa.SystemClock())
	prefix := testPrefix("local")
	mA, _ := tabManager(t, op, map[string]spa.Store{spa.StorageLocal: web.LocalStorage(prefix)}, testConfig(id, spa.StorageLocal))
	mB, logB := tabManager(t, op, map[string]spa.Store{spa.StorageLocal: web.LocalStorage(prefix)}, testConfig(id, spa.StorageLocal))
	t.Cleanup(func() { mA.LogoffLocal(id) })
	spy := spyChannel(t)
	bA, bB := web.NewBroadcast(mA), web.NewBroadcast(mB)
	bA.Close()
	bB.Close()
	bB.Close() // twice is fine

	if _, err := op.Login(context.Background(), mA, id); err != nil {
		t.Fatal(err)
	}
	spy.flush(t) // A's events were emitted before Login returned
	if msgs := spy.about(id); len(msgs) != 0 {
		t.Errorf("a closed Broadcast posted %q", msgs)
	}
	if got := logB.String(); got != "configLoaded" {
		t.Errorf("B heard a closed channel: %s", got)
	}
}

func TestBroadcastIgnoresMalformedMessages(t *testing.T) {
	inPage(t)
	id := fmt.Sprintf("junk%d", testSeq.Add(1))
	good := fmt.Sprintf("good%d", testSeq.Add(1))
	op := fakeop.New(t, spa.SystemClock())
	prefix := testPrefix("local")
	// A signs in to both configs in the shared store without a Broadcast: B
	// learns of a session only from a message it acts on.
	configs := []spa.Config{testConfig(id, spa.StorageLocal), testConfig(good, spa.StorageLocal)}
	mA, _ := tabManager(t, op, map[string]spa.Store{spa.StorageLocal: web.LocalStorage(prefix)}, configs...)
	mB, logB := tabManager(t, op, map[string]spa.Store{spa.StorageLocal: web.LocalStorage(prefix)}, configs...)
	t.Cleanup(func() { mA.LogoffLocal(id); mA.LogoffLocal(good) })
	bB := web.NewBroadcast(mB)
	defer bB.Close()
	for _, c := range configs {
		if _, err := op.Login(context.Background(), mA, c.ConfigID); err != nil {
			t.Fatal(err)
		}
	}
	before := logB.String()

	other := js.Global().Get("BroadcastChannel").New(web.BroadcastChannelName)
	defer other.Call("close")
	for _, msg := range []any{
		"session",
		nil,
		map[string]any{"type": "session"},
		map[string]any{"type": "nonsense", "configId": id},
		map[string]any{"type": "session", "configId": 7},
		map[string]any{"type": "session", "configId": "no-such-config"},
	} {
		other.Call("postMessage", msg)
	}
	// B handles one sender's messages in order: once it has acted on this
	// one, it has seen all the junk before it.
	other.Call("postMessage", map[string]any{"type": "session", "configId": good})
	eventually(t, "B to act on the well-formed message", func() bool { return mB.IsAuthenticated(good) })
	if mB.IsAuthenticated(id) {
		t.Errorf("B acted on a malformed message about %s (events: %s)", id, logB)
	}
	if got, want := logB.String(), before+" authenticated"; got != want {
		t.Errorf("B's events after junk and one good message: %s, want %s", got, want)
	}
}

package web_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"syscall/js"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/internal/fakeop"
	"github.com/oidcwasm/oidcwasm/silentrefresh"
	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

// warnSpy records console.warn calls until the test ends.
func warnSpy(t *testing.T) func() []string {
	console := js.Global().Get("console")
	orig := console.Get("warn")
	var mu sync.Mutex
	var got []string
	spy := js.FuncOf(func(this js.Value, args []js.Value) any {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range args {
			got = append(got, a.String())
		}
		return nil
	})
	console.Set("warn", spy)
	t.Cleanup(func() {
		console.Set("warn", orig)
		spy.Release()
	})
	return func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
}

// fcManager is a tab's Manager signed in to a config with front-channel
// logout whose ID token has sid "sid-1", with localStorage under web's own
// prefix (where the logout page writes), listening for the page.
func fcManager(t *testing.T) (*spa.Manager, *eventLog) {
	t.Helper()
	inPage(t)
	local := web.LocalStorage(web.StorePrefix)
	local.Remove(spa.FrontchannelLogoutStoreKey)
	t.Cleanup(func() { local.Remove(spa.FrontchannelLogoutStoreKey) })
	op := fakeop.New(t, spa.SystemClock())
	op.SetSession("sid-1", time.Time{})
	c := testConfig("fc", spa.StorageMemory)
	c.FrontchannelLogoutURL = "https://app.example/frontchannel-logout.html"
	m, log := tabManager(t, op, map[string]spa.Store{spa.StorageLocal: local, spa.StorageMemory: spa.NewMemoryStore()}, c)
	if _, err := op.Login(context.Background(), m, "fc"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(web.ListenFrontchannelLogout(m))
	return m, log
}

// pageMessage is what frontchannel-logout.html posts when the provider
// frames it, as a JS object.
func pageMessage(query, ancestor string) js.Value {
	m := js.Global().Get("Object").New()
	m.Set("v", 1)
	m.Set("query", query)
	m.Set("framed", true)
	m.Set("ancestor", ancestor)
	m.Set("referrer", "")
	m.Set("at", js.Global().Get("Date").Call("now"))
	return m
}

func postOnFrontchannel(msg js.Value) {
	ch := js.Global().Get("BroadcastChannel").New(silentrefresh.FrontchannelLogoutChannel)
	ch.Call("postMessage", msg)
	ch.Call("close")
}

func TestTheLogoutPageWritesWhereTheManagerReads(t *testing.T) {
	if got := web.StorePrefix + spa.FrontchannelLogoutStoreKey; got != silentrefresh.FrontchannelLogoutStorageKey {
		t.Fatalf("the Manager reads %q, the page writes %q", got, silentrefresh.FrontchannelLogoutStorageKey)
	}
}

// TestFrontchannelLogoutMessagesEndTheSessionTheyName: a message of the
// logout page for the config's issuer and sid ends the session in this tab
// (loggedOut); one for another sid changes nothing and says why in the
// console, without the sid.
func TestFrontchannelLogoutMessagesEndTheSessionTheyName(t *testing.T) {
	m, log := fcManager(t)
	warns := warnSpy(t)
	postOnFrontchannel(pageMessage("?"+url.Values{"iss": {fakeop.Issuer}, "sid": {"sid-2"}}.Encode(), fakeop.Issuer))
	eventually(t, "a warning about the other sid", func() bool { return len(warns()) == 1 })
	if w := warns()[0]; !strings.Contains(w, "the sid is not the session's") || strings.Contains(w, "sid-2") {
		t.Fatalf("warning %q", w)
	}
	if !m.IsAuthenticated("fc") {
		t.Fatal("another sid ended the session")
	}
	postOnFrontchannel(pageMessage("?"+url.Values{"iss": {fakeop.Issuer}, "sid": {"sid-1"}}.Encode(), fakeop.Issuer))
	eventually(t, "the session to end", func() bool { return !m.IsAuthenticated("fc") })
	if !strings.HasSuffix(log.String(), "loggedOut") || len(warns()) != 1 {
		t.Fatalf("events %q, warnings %q", log, warns())
	}
}

// TestTheLogoutPageInAFrameOfTheAppIsRefused: the page's own script, run in
// an iframe of this page's origin with iss and sid of the session: it posts
// and stores what it saw (framed, ancestorOrigins, query), and the tab
// refuses it, since the app framed it, not the provider.
func TestTheLogoutPageInAFrameOfTheAppIsRefused(t *testing.T) {
	m, _ := fcManager(t)
	warns := warnSpy(t)
	script := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(string(silentrefresh.FrontchannelLogoutHTML()))[1]
	origin := js.Global().Get("location").Get("origin").String()
	src := origin + "/status/200?" + url.Values{"iss": {fakeop.Issuer}, "sid": {"sid-1"}}.Encode()
	frame := js.Global().Get("document").Call("createElement", "iframe")
	frame.Set("src", src)
	js.Global().Get("document").Get("body").Call("appendChild", frame)
	defer frame.Call("remove")
	eventually(t, "the iframe to load", func() bool { return js.Global().Call("__oidcwasmRunInFrame", src, script).Bool() })
	eventually(t, "the refusal in the console", func() bool { return len(warns()) > 0 })
	if w := warns()[0]; !strings.Contains(w, "framed by "+origin+", not by the provider") {
		t.Fatalf("warning %q", w)
	}
	if !m.IsAuthenticated("fc") {
		t.Fatal("the session ended")
	}
	stored := js.Global().Get("localStorage").Call("getItem", silentrefresh.FrontchannelLogoutStorageKey)
	if stored.Type() != js.TypeString {
		t.Fatal("the page stored nothing")
	}
	s := stored.String()
	for _, want := range []string{`"framed":true`, `"ancestor":"` + origin + `"`, `"query":"?iss=https%3A%2F%2Fop.example&sid=sid-1"`, `"v":1`} {
		if !strings.Contains(s, want) {
			t.Errorf("stored %s lacks %s", s, want)
		}
	}
}

// TestStoredLogoutsApplyWhenThePageWakes: a request the page stored while
// this tab heard nothing (frozen, in the back/forward cache) ends the session
// at the next pageshow.
func TestStoredLogoutsApplyWhenThePageWakes(t *testing.T) {
	m, log := fcManager(t)
	item := js.Global().Get("JSON").Call("stringify", pageMessage("?"+url.Values{"iss": {fakeop.Issuer}, "sid": {"sid-1"}}.Encode(), fakeop.Issuer)).String()
	js.Global().Get("localStorage").Call("setItem", silentrefresh.FrontchannelLogoutStorageKey, "["+item+"]")
	time.Sleep(50 * time.Millisecond)
	if !m.IsAuthenticated("fc") {
		t.Fatal("ended before the page woke")
	}
	ev := js.Global().Get("PageTransitionEvent").New("pageshow", map[string]any{"persisted": true})
	js.Global().Call("dispatchEvent", ev)
	eventually(t, "the session to end", func() bool { return !m.IsAuthenticated("fc") })
	if !strings.HasSuffix(log.String(), "loggedOut") {
		t.Fatalf("events %q", log)
	}
}

// TestSessionIframeTakesOnlyItsFramesAnswer: SessionIframe posts the question
// to its iframe with the iframe's origin as targetOrigin and takes the answer
// of that iframe's window only; it loads the iframe once for any number of
// questions and removes it at Close.
func TestSessionIframeTakesOnlyItsFramesAnswer(t *testing.T) {
	inPage(t)
	origin := js.Global().Get("location").Get("origin").String()
	src := origin + "/status/200?check-session=" + t.Name()
	target := spa.CheckSessionTarget{IframeURL: src, Origin: origin, Message: "client-a state-1"}
	s := &web.SessionIframe{}
	defer s.Close("a")
	before := iframeCount()

	// A question whose context has ended asks nothing; the iframe is made.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Ask(ctx, "a", target); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	// The provider's page: "changed" for state-1, "unchanged" for others,
	// nothing for "quiet".
	op := `addEventListener("message", (e) => { if (!e.data.endsWith(" quiet")) e.source.postMessage(e.data.endsWith(" state-1") ? "changed" : "unchanged", e.origin); });`
	eventually(t, "the iframe to load", func() bool { return js.Global().Call("__oidcwasmRunInFrame", src, op).Bool() })
	if got, err := s.Ask(context.Background(), "a", target); err != nil || got != "changed" {
		t.Fatalf("answer %q, %v; want changed", got, err)
	}
	target.Message = "client-a state-2"
	if got, err := s.Ask(context.Background(), "a", target); err != nil || got != "unchanged" {
		t.Fatalf("answer %q, %v; want unchanged", got, err)
	}
	// The provider does not answer; this window's own message, of the same
	// origin, is not its answer.
	target.Message = "client-a quiet"
	ctx, cancel = context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	go func() {
		time.Sleep(100 * time.Millisecond)
		js.Global().Call("postMessage", "changed", origin)
	}()
	if got, err := s.Ask(ctx, "a", target); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("answer %q, %v; want the deadline", got, err)
	}
	if n := iframeCount(); n != before+1 {
		t.Fatalf("%d iframes, want one more than before", n-before)
	}
	s.Close("a")
	if n := iframeCount(); n != before {
		t.Fatalf("%d iframes after Close, want %d", n, before)
	}
}

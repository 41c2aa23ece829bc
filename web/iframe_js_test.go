package web_test

import (
	"context"
	"errors"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall/js"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

// The runner serves the test page on http://localhost:<port>. An iframe
// renewal ends on silent-refresh.html of the page's origin; here the iframe
// loads /status/200 of the runner (same origin, so the test can reach into
// it), and the test makes that document post what silent-refresh.html would,
// from a script inside it: so event.origin, event.source and the iframe are
// the real ones. blob: URLs do not work for this (a blob URL with a query,
// does not load), and data: pages have an
// opaque origin, whose messages must be ignored; one case checks that.

var frameSeq atomic.Int64

// frameURLs returns a same-origin authorization request with a fresh state,
// and the response URL silent-refresh.html would post for it with code. Its
// URL carries no state, as a pushed request's does not (RFC 9126 §4): the
// iframe must take the state from the request.
func frameURLs(t *testing.T) (req spa.AuthRequest, answer func(code string) string) {
	t.Helper()
	inPage(t)
	origin := js.Global().Get("location").Get("origin").String()
	state := "st" + strconv.FormatInt(frameSeq.Add(1), 10)
	req = spa.AuthRequest{URL: origin + "/status/200?client_id=spa&request_uri=urn%3Aexample%3A" + state, State: state}
	return req, func(code string) string {
		return origin + "/silent-refresh.html?" + url.Values{"code": {code}, "state": {state}}.Encode()
	}
}

// inPage fails a test that runs outside a browser page.
func inPage(t *testing.T) {
	t.Helper()
	if js.Global().Get("document").IsUndefined() {
		t.Fatal("this test needs a browser page: run it with dev/scripts/test-browser.sh, not node")
	}
}

func init() {
	// runInFrame(src, code): when the iframe loading src has loaded it, run
	// code in a script inside it and return true; else false.
	js.Global().Call("eval", `globalThis.__oidcwasmRunInFrame = (src, code) => {
		for (const f of document.querySelectorAll("iframe")) {
			if (f.getAttribute("src") !== src) continue;
			const w = f.contentWindow;
			if (!w) return false;
			let href;
			try { href = w.location.href; } catch { return false; }
			if (href !== new URL(src, location.href).href || w.document.readyState !== "complete") return false;
			const s = w.document.createElement("script");
			s.textContent = code;
			w.document.documentElement.append(s);
			return true;
		}
		return false;
	}`)
}

// postFromFrame waits until the iframe that loads src has loaded, then makes
// it post data to the page.
func postFromFrame(t *testing.T, src string, data any) {
	t.Helper()
	// As silent-refresh.html does.
	code := "parent.postMessage(" + js.Global().Get("JSON").Call("stringify", data).String() + ", location.origin)"
	eventually(t, "the iframe of "+src+" to load", func() bool {
		return js.Global().Call("__oidcwasmRunInFrame", src, code).Bool()
	})
}

// messagesDelivered waits until every message posted to this window so far
// has been dispatched: it posts a marker and waits for it (a window's posted
// messages are dispatched in the order they were posted, HTML §9.3.3).
func messagesDelivered(t *testing.T) {
	t.Helper()
	marker := "oidcwasm-test-marker-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	got := make(chan struct{})
	var once sync.Once
	f := js.FuncOf(func(this js.Value, args []js.Value) any {
		if d := args[0].Get("data"); d.Type() == js.TypeString && d.String() == marker {
			once.Do(func() { close(got) })
		}
		return nil
	})
	js.Global().Call("addEventListener", "message", f)
	defer func() {
		js.Global().Call("removeEventListener", "message", f)
		f.Release()
	}()
	js.Global().Call("postMessage", marker, js.Global().Get("location").Get("origin"))
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the window's own marker message never arrived")
	}
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func iframeCount() int {
	return js.Global().Get("document").Call("querySelectorAll", "iframe").Length()
}

type navigation struct {
	url string
	err error
}

// navigate runs Navigate in a goroutine.
func navigate(ctx context.Context, req spa.AuthRequest) <-chan navigation {
	done := make(chan navigation, 1)
	go func() {
		u, err := web.IframeFrame{}.Navigate(ctx, req)
		done <- navigation{u, err}
	}()
	return done
}

// stillWaiting fails when the navigation ended within a moment.
func stillWaiting(t *testing.T, done <-chan navigation, after string) {
	t.Helper()
	select {
	case n := <-done:
		t.Fatalf("Navigate returned %q, %v after %s; want it to ignore that and wait", n.url, n.err, after)
	case <-time.After(100 * time.Millisecond):
	}
}

// settled waits for the navigation and checks that it left no iframe behind.
func settled(t *testing.T, done <-chan navigation) navigation {
	t.Helper()
	select {
	case n := <-done:
		if c := iframeCount(); c != 0 {
			t.Errorf("%d iframes left in the page after Navigate returned", c)
		}
		return n
	case <-time.After(5 * time.Second):
		t.Fatal("Navigate did not return")
	}
	return navigation{}
}

// noGoroutineLeft checks, at the end of the test, that no goroutine is left
// in package web or in a navigation the test started (a Navigate waiting
// forever would be). The runtime's own goroutines (the one that handles JS
// events appears with the first callback) do not count.
func noGoroutineLeft(t *testing.T) {
	t.Cleanup(func() {
		var left []string
		deadline := time.Now().Add(time.Second)
		for {
			left = left[:0]
			buf := make([]byte, 1<<20)
			for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
				if strings.Contains(g, "oidcwasm/web.") || strings.Contains(g, "web_test.navigate") {
					left = append(left, g)
				}
			}
			if len(left) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if len(left) > 0 {
			t.Errorf("goroutines left behind:\n%s", strings.Join(left, "\n\n"))
		}
	})
}

func TestIframeFrameReturnsTheAnswerOfItsFrameAndRemovesIt(t *testing.T) {
	noGoroutineLeft(t)
	req, answer := frameURLs(t)
	done := navigate(context.Background(), req)

	eventually(t, "the iframe", func() bool { return iframeCount() == 1 })
	f := js.Global().Get("document").Call("querySelector", "iframe")
	style := js.Global().Call("getComputedStyle", f)
	if style.Get("visibility").String() != "hidden" || style.Get("display").String() == "none" ||
		f.Call("getAttribute", "aria-hidden").String() != "true" || f.Get("title").String() == "" ||
		f.Get("offsetWidth").Int() != 0 || f.Get("offsetHeight").Int() != 0 {
		t.Errorf("the iframe is not hidden as it should be: style %q, aria-hidden %v, title %q",
			f.Call("getAttribute", "style").String(), f.Call("getAttribute", "aria-hidden"), f.Get("title").String())
	}

	want := answer("c1")
	postFromFrame(t, req.URL, want)
	if n := settled(t, done); n.err != nil || n.url != want {
		t.Fatalf("Navigate = %q, %v; want %q", n.url, n.err, want)
	}
	// The listener is gone: a late message must not reach the released
	// js.Func, which syscall/js reports as console.error("call to released
	// function").
	var released atomic.Int32
	console := js.Global().Get("console")
	orig := console.Get("error")
	spy := js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) > 0 && args[0].Type() == js.TypeString && strings.Contains(args[0].String(), "released function") {
			released.Add(1)
		}
		return nil
	})
	console.Set("error", spy)
	defer func() {
		console.Set("error", orig)
		spy.Release()
	}()
	js.Global().Call("postMessage", want, js.Global().Get("location").Get("origin"))
	messagesDelivered(t)
	if n := released.Load(); n != 0 {
		t.Errorf("a late message reached the released listener %d times: it outlived Navigate", n)
	}
}

func TestIframeFrameIgnoresMessagesItMustNotAccept(t *testing.T) {
	tests := []struct {
		name  string
		noise func(t *testing.T, authURL string, answer func(string) string)
	}{
		{"from the page itself, with the right state", func(t *testing.T, authURL string, answer func(string) string) {
			js.Global().Call("postMessage", answer("noise"), js.Global().Get("location").Get("origin"))
		}},
		{"from another iframe of the origin, with the right state", func(t *testing.T, authURL string, answer func(string) string) {
			other := js.Global().Get("document").Call("createElement", "iframe")
			src := js.Global().Get("location").Get("origin").String() + "/status/200?other=1"
			other.Set("src", src)
			js.Global().Get("document").Get("body").Call("appendChild", other)
			defer other.Call("remove")
			postFromFrame(t, src, answer("noise"))
			messagesDelivered(t) // it arrives before the iframe goes
		}},
		{"from its frame, with another state", func(t *testing.T, authURL string, answer func(string) string) {
			origin := js.Global().Get("location").Get("origin").String()
			postFromFrame(t, authURL, origin+"/silent-refresh.html?code=noise&state=another")
		}},
		{"from its frame, for another origin", func(t *testing.T, authURL string, answer func(string) string) {
			u, _ := url.Parse(answer("noise"))
			u.Host = "127.0.0.1:" + u.Port()
			postFromFrame(t, authURL, u.String())
		}},
		{"from its frame, not a string", func(t *testing.T, authURL string, answer func(string) string) {
			postFromFrame(t, authURL, map[string]any{"url": answer("noise")})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noGoroutineLeft(t)
			req, answer := frameURLs(t)
			done := navigate(context.Background(), req)
			tt.noise(t, req.URL, answer)
			stillWaiting(t, done, "a message "+tt.name)

			want := answer("ours")
			postFromFrame(t, req.URL, want)
			if n := settled(t, done); n.err != nil || n.url != want {
				t.Fatalf("Navigate = %q, %v; want %q", n.url, n.err, want)
			}
		})
	}
}

func TestIframeFrameIgnoresItsFrameOnceItHasAnOpaqueOrigin(t *testing.T) {
	noGoroutineLeft(t)
	req, answer := frameURLs(t)
	// The frame navigates itself to a data: page, whose origin is opaque: its
	// message comes from the same window (contentWindow stays) with the right
	// state, but with origin "null", and must be ignored.
	page := `<script>parent.postMessage(` + strconv.Quote(answer("opaque")) + `, "*")</script>`
	seen := js.Global().Get("Array").New()
	spy := js.FuncOf(func(this js.Value, args []js.Value) any {
		seen.Call("push", args[0].Get("origin"))
		return nil
	})
	js.Global().Call("addEventListener", "message", spy)
	defer func() {
		js.Global().Call("removeEventListener", "message", spy)
		spy.Release()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := navigate(ctx, req)
	eventually(t, "the iframe to load", func() bool {
		return js.Global().Call("__oidcwasmRunInFrame", req.URL,
			"location.href = "+strconv.Quote("data:text/html,"+url.PathEscape(page))).Bool()
	})
	n := settled(t, done)
	if !errors.Is(n.err, context.DeadlineExceeded) {
		t.Fatalf("Navigate = %q, %v; want %v", n.url, n.err, context.DeadlineExceeded)
	}
	if seen.Length() == 0 || seen.Index(0).String() != "null" {
		t.Errorf("the data: page's message did not arrive with origin null (got %s); the case tests nothing",
			js.Global().Get("JSON").Call("stringify", seen))
	}
}

func TestIframeFrameRefusesURLsThatAreNotHTTP(t *testing.T) {
	inPage(t)
	for _, req := range []spa.AuthRequest{
		{URL: "javascript:parent.alert(1)//?state=s", State: "s"},
		{URL: "data:text/html,x?state=s", State: "s"},
		{URL: "https://op.example/authorize?client_id=spa&state=s"}, // no state to check the answer against
		{URL: "/authorize?state=s", State: "s"},
	} {
		if _, err := (web.IframeFrame{}).Navigate(context.Background(), req); err == nil {
			t.Errorf("Navigate(%+v) succeeded", req)
		}
	}
	if c := iframeCount(); c != 0 {
		t.Errorf("%d iframes in the page", c)
	}
}

func TestIframeFrameGivesUpWhenTheContextEnds(t *testing.T) {
	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			noGoroutineLeft(t)
			req, _ := frameURLs(t) // loads, and never answers
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			n := settled(t, navigate(ctx, req))
			if !errors.Is(n.err, tt.want) || n.url != "" {
				t.Fatalf("Navigate = %q, %v; want %v", n.url, n.err, tt.want)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("Navigate returned %v after the context ended", d)
			}
		})
	}
}

func TestIframeFrameConcurrentNavigationsGetTheirOwnAnswers(t *testing.T) {
	noGoroutineLeft(t)
	reqA, answerA := frameURLs(t)
	reqB, answerB := frameURLs(t)
	doneA := navigate(context.Background(), reqA)
	doneB := navigate(context.Background(), reqB)

	// Each frame first posts the other's answer: the right state from the
	// wrong window (for the other) and the wrong state (for itself).
	postFromFrame(t, reqA.URL, answerB("crossed"))
	postFromFrame(t, reqB.URL, answerA("crossed"))
	stillWaiting(t, doneA, "the other frame's answer")
	stillWaiting(t, doneB, "the other frame's answer")

	wantB, wantA := answerB("b"), answerA("a")
	postFromFrame(t, reqB.URL, wantB)
	if n := <-doneB; n.err != nil || n.url != wantB {
		t.Errorf("B: Navigate = %q, %v; want %q", n.url, n.err, wantB)
	}
	stillWaiting(t, doneA, "B's answer")
	postFromFrame(t, reqA.URL, wantA)
	if n := settled(t, doneA); n.err != nil || n.url != wantA {
		t.Errorf("A: Navigate = %q, %v; want %q", n.url, n.err, wantA)
	}
}

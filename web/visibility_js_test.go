package web_test

import (
	"sync/atomic"
	"syscall/js"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/web"
)

func TestWatchWakeCallsFnWhenThePageMayHaveSlept(t *testing.T) {
	inPage(t)
	if v := js.Global().Get("document").Get("visibilityState").String(); v != "visible" {
		t.Fatalf("document.visibilityState is %q; the visibilitychange case needs a visible page", v)
	}
	win, doc := js.Global(), js.Global().Get("document")
	event := func(typ string) js.Value { return js.Global().Get("Event").New(typ) }
	pageshow := func(persisted bool) js.Value {
		return js.Global().Get("PageTransitionEvent").New("pageshow", map[string]any{"persisted": persisted})
	}
	tests := []struct {
		name   string
		target js.Value
		ev     js.Value
		wakes  bool
	}{
		{"visibilitychange to visible", doc, event("visibilitychange"), true},
		{"pageshow from the back/forward cache", win, pageshow(true), true},
		{"pageshow of a fresh load", win, pageshow(false), false},
		{"resume of a frozen page", doc, event("resume"), true},
		{"online", win, event("online"), true},
		{"offline", win, event("offline"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			stop := web.WatchWake(func() { calls.Add(1) })
			tt.target.Call("dispatchEvent", tt.ev)
			// fn runs in a goroutine: a call is waited for; a call that
			// must not come can only be given a quiet window.
			if tt.wakes {
				eventually(t, "fn to be called", func() bool { return calls.Load() > 0 })
			} else {
				time.Sleep(20 * time.Millisecond)
			}
			if got := calls.Load() == 1; got != tt.wakes {
				t.Errorf("fn called %d times, want wake %v", calls.Load(), tt.wakes)
			}
			stop()
			stop() // twice is fine
			tt.target.Call("dispatchEvent", tt.ev)
			time.Sleep(20 * time.Millisecond) // quiet window: no call may come
			if n := calls.Load(); n > 1 || n == 1 && !tt.wakes {
				t.Errorf("fn called after stop (%d calls)", n)
			}
		})
	}
}

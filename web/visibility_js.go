package web

import (
	"sync"
	"syscall/js"
)

// WatchWake calls fn, in a goroutine of its own, whenever the page may have
// been asleep and its timers late:
//
//   - visibilitychange on document, when document.visibilityState becomes
//     "visible" (hidden tabs have their timers throttled, a closed laptop lid
//     stops them);
//   - pageshow with persisted true: the page came back from the back/forward
//     cache, where nothing ran;
//   - resume on document: a frozen background tab was unfrozen (Page
//     Lifecycle API, Chromium);
//   - online on window: the network is back, so a renewal that failed for the
//     lack of it can go again.
//
// Give it silentrefresh.Scheduler.Recheck, so a woken device renews at once
// rather than at the Scheduler's next step. stop removes the listeners and
// releases their js.Funcs; it may be called more than once.
func WatchWake(fn func()) (stop func()) {
	win := js.Global()
	doc := win.Get("document")
	type listener struct {
		target js.Value
		event  string
		f      js.Func
	}
	wake := func(test func(ev js.Value) bool) js.Func {
		return js.FuncOf(func(this js.Value, args []js.Value) any {
			if test(arg0(args)) {
				go fn()
			}
			return nil
		})
	}
	always := func(js.Value) bool { return true }
	ls := []listener{
		{win, "online", wake(always)},
		{win, "pageshow", wake(func(ev js.Value) bool {
			return ev.Type() == js.TypeObject && ev.Get("persisted").Truthy()
		})},
	}
	if doc.Type() == js.TypeObject {
		ls = append(ls,
			listener{doc, "visibilitychange", wake(func(js.Value) bool {
				return doc.Get("visibilityState").String() == "visible"
			})},
			listener{doc, "resume", wake(always)},
		)
	}
	for _, l := range ls {
		l.target.Call("addEventListener", l.event, l.f)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			for _, l := range ls {
				l.target.Call("removeEventListener", l.event, l.f)
				l.f.Release()
			}
		})
	}
}

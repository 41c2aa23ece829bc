package web

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"syscall/js"

	"github.com/oidcwasm/oidcwasm/spa"
)

// SessionStorage returns a spa.Store over window.sessionStorage: per tab,
// kept across reloads of the page. Every key is stored as prefix+key, so
// several stores (and other code on the page) share sessionStorage without
// seeing each other's keys; Keys(p) lists the keys that start with prefix+p
// and returns them without prefix. Values are stored as they are: the core
// versions its own values.
//
// When sessionStorage cannot be used at all (reading window.sessionStorage
// throws, as in a sandboxed iframe or with storage blocked, or it does not
// exist), SessionStorage returns a new spa.MemoryStore instead: the session
// then ends with the page, and nothing is shared with other stores. Set
// fails, rather than falling back, when the browser refuses one write
// (QuotaExceededError).
func SessionStorage(prefix string) spa.Store { return openWebStore("sessionStorage", prefix) }

// LocalStorage is SessionStorage over window.localStorage: shared by every
// tab of the origin and kept until it is cleared, so another tab's writes
// show up at once. It falls back to a spa.MemoryStore in the same way.
func LocalStorage(prefix string) spa.Store { return openWebStore("localStorage", prefix) }

// webStore is a spa.Store over one Web Storage object.
type webStore struct {
	name   string // "sessionStorage" or "localStorage", for errors
	prefix string
	s      js.Value

	// JS runs one call at a time, but Keys reads length and key(i) in
	// several calls; the lock keeps the store's own writes out of them.
	mu sync.Mutex
}

func openWebStore(name, prefix string) spa.Store {
	s, err := lookupStorage(name)
	if err != nil {
		return spa.NewMemoryStore()
	}
	return &webStore{name: name, prefix: prefix, s: s}
}

// lookupStorage reads window[name] and its length. The getter throws a
// SecurityError where storage is denied; through Reflect.get and Call the
// exception becomes a Go panic that catchJS turns into an error (a plain
// Value.Get would let it unwind through the Go runtime).
func lookupStorage(name string) (s js.Value, err error) {
	defer catchJS(&err)
	s = js.Global().Get("Reflect").Call("get", js.Global(), name)
	if s.Type() != js.TypeObject {
		return js.Value{}, fmt.Errorf("oidcwasm: web: no %s", name)
	}
	js.Global().Get("Reflect").Call("get", s, "length")
	return s, nil
}

func (w *webStore) Get(key string) (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	v := w.s.Call("getItem", w.prefix+key)
	if v.Type() != js.TypeString {
		return "", false
	}
	return v.String(), true
}

// Set fails when the browser refuses the write: QuotaExceededError when the
// storage is full, SecurityError when it was disabled.
func (w *webStore) Set(key, value string) (err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	defer func() {
		if err != nil {
			err = fmt.Errorf("oidcwasm: web: %s: %w", w.name, err)
		}
	}()
	defer catchJS(&err)
	w.s.Call("setItem", w.prefix+key, value)
	return nil
}

func (w *webStore) Remove(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.s.Call("removeItem", w.prefix+key)
}

func (w *webStore) Keys(prefix string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	full := w.prefix + prefix
	var keys []string
	for i, n := 0, w.s.Get("length").Int(); i < n; i++ {
		k := w.s.Call("key", i)
		if k.Type() == js.TypeString && strings.HasPrefix(k.String(), full) {
			keys = append(keys, k.String()[len(w.prefix):])
		}
	}
	sort.Strings(keys)
	return keys
}

// catchJS turns a panic with a js.Error (a JS exception thrown by a
// js.Value.Call, New or Invoke) into *err; other panics go on.
func catchJS(err *error) {
	if r := recover(); r != nil {
		var je js.Error
		if e, ok := r.(error); ok && errors.As(e, &je) {
			*err = je
			return
		}
		panic(r)
	}
}

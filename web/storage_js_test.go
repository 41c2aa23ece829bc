package web_test

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"syscall/js"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/spa/storetest"
	"github.com/oidcwasm/oidcwasm/web"
)

// needBrowser fails a test that runs outside a page (node has no Web Storage
// and no location).
func needBrowser(t *testing.T) {
	t.Helper()
	if js.Global().Get("document").IsUndefined() {
		t.Fatal("this test needs a browser page: run it with dev/scripts/test-browser.sh (go test -exec wasmbrowser), not node")
	}
}

var storeSeq atomic.Int64

// uniquePrefix makes every store of a test start empty.
func uniquePrefix(kind string) string {
	return fmt.Sprintf("test.%s.%d.", kind, storeSeq.Add(1))
}

func TestSessionStoragePassesStoreSuite(t *testing.T) {
	needBrowser(t)
	storetest.Run(t, func() spa.Store { return web.SessionStorage(uniquePrefix("session")) })
}

func TestLocalStoragePassesStoreSuite(t *testing.T) {
	needBrowser(t)
	storetest.Run(t, func() spa.Store { return web.LocalStorage(uniquePrefix("local")) })
}

var storages = []struct {
	name string
	open func(prefix string) spa.Store
}{
	{"sessionStorage", web.SessionStorage},
	{"localStorage", web.LocalStorage},
}

func TestStoragePrefixIsolatesStores(t *testing.T) {
	needBrowser(t)
	for _, st := range storages {
		t.Run(st.name, func(t *testing.T) {
			raw := js.Global().Get(st.name)
			pa, pb := uniquePrefix("iso"), uniquePrefix("iso")
			a, b := st.open(pa), st.open(pb)
			if err := a.Set("k", "a"); err != nil {
				t.Fatal(err)
			}
			if err := b.Set("k", "b"); err != nil {
				t.Fatal(err)
			}
			// Another script's key, without the prefix, and one that only looks alike.
			raw.Call("setItem", "k", "page")
			raw.Call("setItem", strings.TrimSuffix(pa, ".")+"k", "almost")
			t.Cleanup(func() {
				raw.Call("removeItem", "k")
				raw.Call("removeItem", strings.TrimSuffix(pa, ".")+"k")
				a.Remove("k")
				b.Remove("k")
			})

			if v, _ := a.Get("k"); v != "a" {
				t.Errorf("a.Get(k) = %q, want a", v)
			}
			if v, _ := b.Get("k"); v != "b" {
				t.Errorf("b.Get(k) = %q, want b", v)
			}
			if got := a.Keys(""); !slices.Equal(got, []string{"k"}) {
				t.Errorf("a.Keys(\"\") = %q, want [k]", got)
			}
			if v := raw.Call("getItem", pa+"k"); v.IsNull() || v.String() != "a" {
				t.Errorf("%s[%q] = %v, want a: keys are stored with the prefix", st.name, pa+"k", v)
			}
			b.Remove("k")
			if v := raw.Call("getItem", "k"); v.IsNull() || v.String() != "page" {
				t.Errorf("the page's own key k = %v after b.Remove(k), want page", v)
			}
		})
	}
}

func TestStorageSetReportsQuotaExceeded(t *testing.T) {
	needBrowser(t)
	for _, st := range storages {
		t.Run(st.name, func(t *testing.T) {
			s := st.open(uniquePrefix("quota"))
			err := s.Set("big", strings.Repeat("x", 12<<20)) // Chromium allows 10 MiB per origin
			if err == nil {
				s.Remove("big")
				t.Fatal("Set of 12 MiB succeeded")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "oidcwasm: web: "+st.name+": ") || !strings.Contains(msg, "quota") {
				t.Errorf("error = %q, want it to name %s and the quota", msg, st.name)
			}
			if _, ok := s.Get("big"); ok {
				t.Error("a refused value is stored")
			}
			if err := s.Set("small", "v"); err != nil {
				t.Errorf("Set after a refused Set: %v", err)
			}
			s.Remove("small")
		})
	}
}

func TestStorageFallsBackToMemoryWhenDenied(t *testing.T) {
	needBrowser(t)
	for _, st := range storages {
		t.Run(st.name, func(t *testing.T) {
			// Make window[name] throw as it does where storage is blocked.
			object := js.Global().Get("Object")
			saved := object.Call("getOwnPropertyDescriptor", js.Global(), st.name)
			if saved.IsUndefined() {
				t.Fatalf("window has no own property %s", st.name)
			}
			thrower := js.Global().Get("Function").New(`throw new DOMException("The document is sandboxed", "SecurityError")`)
			object.Call("defineProperty", js.Global(), st.name, map[string]any{"get": thrower, "configurable": true})
			defer object.Call("defineProperty", js.Global(), st.name, saved)

			s := st.open(uniquePrefix("denied"))
			if _, ok := s.(*spa.MemoryStore); !ok {
				t.Fatalf("store is a %T, want *spa.MemoryStore", s)
			}
			if err := s.Set("k", "v"); err != nil {
				t.Fatal(err)
			}
			if v, ok := s.Get("k"); !ok || v != "v" {
				t.Errorf("Get(k) = %q, %v", v, ok)
			}
		})
	}
}

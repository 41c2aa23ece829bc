// Package storetest is the one test suite every spa.Store implementation passes:
// the native MemoryStore here, and the Web Storage stores of package web inside
// Chromium.
package storetest

import (
	"slices"
	"sort"
	"testing"

	"github.com/oidcwasm/oidcwasm/spa"
)

// Run runs the suite. newStore must return an empty store each time it is called.
func Run(t *testing.T, newStore func() spa.Store) {
	t.Run("MissingKeyIsNotFound", func(t *testing.T) {
		s := newStore()
		if v, ok := s.Get("absent"); ok || v != "" {
			t.Fatalf("Get(absent) = %q, %v; want \"\", false", v, ok)
		}
	})
	t.Run("SetThenGet", func(t *testing.T) {
		s := newStore()
		for _, v := range []string{"", "x", "{\"v\":1}", "ünïcødé ✓", string(make([]byte, 4096))} {
			if err := s.Set("k", v); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if got, ok := s.Get("k"); !ok || got != v {
				t.Fatalf("Get after Set(%q) = %q, %v", v, got, ok)
			}
		}
	})
	t.Run("RemoveForgets", func(t *testing.T) {
		s := newStore()
		if err := s.Set("a", "1"); err != nil {
			t.Fatal(err)
		}
		s.Remove("a")
		s.Remove("never-set") // must not panic
		if _, ok := s.Get("a"); ok {
			t.Fatal("Get after Remove found the key")
		}
	})
	t.Run("KeysByPrefix", func(t *testing.T) {
		s := newStore()
		for _, k := range []string{"p.a", "p.b", "q.a", "p"} {
			if err := s.Set(k, "v"); err != nil {
				t.Fatal(err)
			}
		}
		got := s.Keys("p.")
		sort.Strings(got)
		if want := []string{"p.a", "p.b"}; !slices.Equal(got, want) {
			t.Fatalf("Keys(p.) = %v, want %v", got, want)
		}
		if got := s.Keys("none."); len(got) != 0 {
			t.Fatalf("Keys(none.) = %v, want none", got)
		}
	})
	t.Run("StoresAreIndependent", func(t *testing.T) {
		a, b := newStore(), newStore()
		if err := a.Set("k", "a"); err != nil {
			t.Fatal(err)
		}
		if _, ok := b.Get("k"); ok {
			t.Fatal("a value set in one store is visible in another new store")
		}
	})
}

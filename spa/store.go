package spa

import (
	"sort"
	"strings"
	"sync"
)

// Storage kinds of Config.Storage.
const (
	StorageSession = "session" // sessionStorage: per tab, survives reloads (default)
	StorageLocal   = "local"   // localStorage: shared by the tabs of the origin
	StorageMemory  = "memory"  // gone on reload
)

// Store is a synchronous key-value store, like Web Storage. Values are opaque
// strings; the core versions what it writes and drops what it cannot read.
// Implementations must be safe for concurrent use.
type Store interface {
	Get(key string) (value string, ok bool)
	// Set stores value under key; it fails when the store is full or disabled.
	Set(key, value string) error
	Remove(key string)
	// Keys lists the keys that start with prefix, in any order.
	Keys(prefix string) []string
}

// MemoryStore is a Store in memory. The zero value is ready to use.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string]string
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

func (s *MemoryStore) Get(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return v, ok
}

func (s *MemoryStore) Set(key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]string)
	}
	s.m[key] = value
	return nil
}

func (s *MemoryStore) Remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}

func (s *MemoryStore) Keys(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

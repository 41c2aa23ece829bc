package bench

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/andybalholm/brotli"
)

// Sizes are the sizes in bytes of a file as stored and as served compressed.
type Sizes struct {
	Raw    int64 `json:"raw"`
	Gzip   int64 `json:"gzip"`   // gzip -9
	Brotli int64 `json:"brotli"` // brotli -q 11 (window 22, the CLI's default)
}

// Brotli quality 11 is slow (about 1 MB/s for a Go wasm file), so results are
// cached by content hash: builds with -trimpath are reproducible, and an
// unchanged binary is not compressed twice.
const sizeCacheVersion = "gzip9-brotli11-lgwin22-v1"

// SizeCache measures Sizes and remembers them by the SHA-256 of the content.
// It is safe for concurrent use.
type SizeCache struct {
	path string // "" keeps the cache in memory only
	mu   sync.Mutex
	m    map[string]Sizes
}

// OpenSizeCache reads the cache file at path (a missing or unreadable file is
// an empty cache). An empty path keeps the cache in memory.
func OpenSizeCache(path string) *SizeCache {
	c := &SizeCache{path: path, m: map[string]Sizes{}}
	if path != "" {
		if b, err := os.ReadFile(path); err == nil {
			json.Unmarshal(b, &c.m)
		}
	}
	return c
}

// Measure returns the sizes of data, compressing it unless the cache knows them.
func (c *SizeCache) Measure(data []byte) Sizes {
	sum := sha256.Sum256(data)
	key := sizeCacheVersion + ":" + hex.EncodeToString(sum[:])
	c.mu.Lock()
	s, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return s
	}
	s = Measure(data)
	c.mu.Lock()
	c.m[key] = s
	c.mu.Unlock()
	return s
}

// Save writes the cache file.
func (c *SizeCache) Save() error {
	if c.path == "" {
		return nil
	}
	c.mu.Lock()
	b, err := json.MarshalIndent(c.m, "", "\t")
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(c.path, b, 0o644)
}

// Measure compresses data with gzip -9 and brotli -q 11, in parallel.
func Measure(data []byte) Sizes {
	s := Sizes{Raw: int64(len(data))}
	var wg sync.WaitGroup
	wg.Go(func() {
		var n counter
		w, _ := gzip.NewWriterLevel(&n, gzip.BestCompression)
		w.Write(data)
		w.Close()
		s.Gzip = int64(n)
	})
	var n counter
	w := brotli.NewWriterOptions(&n, brotli.WriterOptions{Quality: 11, LGWin: 22})
	w.Write(data)
	w.Close()
	s.Brotli = int64(n)
	wg.Wait()
	return s
}

// counter is an io.Writer that counts bytes.
type counter int64

func (c *counter) Write(p []byte) (int, error) { *c += counter(len(p)); return len(p), nil }

var _ io.Writer = (*counter)(nil)

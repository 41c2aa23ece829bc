package bench

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

func TestMeasureCompresses(t *testing.T) {
	data := []byte(strings.Repeat("oidcwasm ", 10000))
	s := Measure(data)
	if s.Raw != int64(len(data)) || s.Gzip <= 0 || s.Gzip >= s.Raw || s.Brotli <= 0 || s.Brotli >= s.Gzip {
		t.Fatalf("Measure = %+v; want 0 < brotli < gzip < raw = %d", s, len(data))
	}
	// The brotli stream must decode to the input, or the size means nothing.
	var buf bytes.Buffer
	w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: 11, LGWin: 22})
	w.Write(data)
	w.Close()
	if int64(buf.Len()) != s.Brotli {
		t.Fatalf("brotli size %d, Measure said %d", buf.Len(), s.Brotli)
	}
	got, err := io.ReadAll(brotli.NewReader(&buf))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("brotli round trip failed: %v", err)
	}
}

func TestSizeCacheRemembersByContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sizes.json")
	c := OpenSizeCache(path)
	data := []byte(strings.Repeat("x", 1000))
	want := c.Measure(data)
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	c2 := OpenSizeCache(path)
	if len(c2.m) != 1 {
		t.Fatalf("reopened cache has %d entries; want 1", len(c2.m))
	}
	if got := c2.Measure(data); got != want {
		t.Fatalf("cached %+v; want %+v", got, want)
	}
}

package demo

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// TestStaticServesPrecompressedWasmWhenTheBrowserAcceptsIt: the demo sends
// the .br or .gz that `make build` wrote, with Content-Encoding, and the raw
// module to a client that accepts neither.
func TestStaticServesPrecompressedWasmWhenTheBrowserAcceptsIt(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"m.wasm": "raw", "m.wasm.br": "brotli", "m.wasm.gz": "gzip", "only.wasm": "raw-only"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := staticHandler(dir, http.NotFoundHandler(), &hitCounter{})
	for _, tc := range []struct {
		path, accept, wantEnc, wantBody string
	}{
		{"/m.wasm", "gzip, deflate, br, zstd", "br", "brotli"},
		{"/m.wasm", "gzip", "gzip", "gzip"},
		{"/m.wasm", "br;q=0, gzip", "gzip", "gzip"},
		{"/m.wasm", "", "", "raw"},
		{"/m.wasm", "identity", "", "raw"},
		{"/only.wasm", "br, gzip", "", "raw-only"},
	} {
		r := httptest.NewRequest(http.MethodGet, tc.path, nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Encoding", tc.accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		body, _ := io.ReadAll(w.Result().Body)
		if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != tc.wantEnc || string(body) != tc.wantBody {
			t.Errorf("GET %s (Accept-Encoding %q) = %d, Content-Encoding %q, body %q; want 200, %q, %q",
				tc.path, tc.accept, w.Code, w.Header().Get("Content-Encoding"), body, tc.wantEnc, tc.wantBody)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/wasm" {
			t.Errorf("GET %s (Accept-Encoding %q): Content-Type %q, want application/wasm", tc.path, tc.accept, ct)
		}
	}
}

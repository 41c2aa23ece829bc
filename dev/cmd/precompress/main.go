// Command precompress writes NAME.br (brotli) and NAME.gz (gzip) next to each
// file it is given, so a static host (or the demo server) can send the
// compressed bytes with Content-Encoding instead of megabytes of raw wasm.
//
//	go run ./cmd/precompress ../static/oidc/oidc.wasm ../static/web/app.wasm
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"

	"github.com/andybalholm/brotli"
)

func main() {
	quality := flag.Int("brotli-quality", brotli.BestCompression, "brotli quality, 0-11")
	flag.Parse()
	// One goroutine a file: brotli's best quality is slow (~30 s for 8 MB).
	errs := make(chan error, len(flag.Args()))
	for _, name := range flag.Args() {
		go func() { errs <- compress(name, *quality) }()
	}
	failed := false
	for range flag.Args() {
		if err := <-errs; err != nil {
			fmt.Fprintln(os.Stderr, "precompress:", err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

func compress(name string, quality int) error {
	raw, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	var br, gz bytes.Buffer
	bw := brotli.NewWriterLevel(&br, quality)
	if _, err := bw.Write(raw); err != nil {
		return err
	}
	if err := bw.Close(); err != nil {
		return err
	}
	gw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := gw.Write(raw); err != nil {
		return err
	}
	if err := gw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(name+".br", br.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(name+".gz", gz.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("precompress: %s %d B → br %d B, gz %d B\n", name, len(raw), br.Len(), gz.Len())
	return nil
}

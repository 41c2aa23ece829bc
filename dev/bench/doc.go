// Package bench holds what the benchmark command (dev/cmd/bench) needs
// beyond the command itself: the side-by-side benchmark pages (pages/), a
// bare go-app application to measure the go-app integration against
// (bareapp/), and helpers that are worth testing on their own: compressed
// sizes (gzip -9 and brotli quality 11, cached by content hash), a reader of
// the WebAssembly name section (symbol sizes of a non-stripped Go build, which
// `go tool nm` cannot read), a parser of `go test -bench` output, and medians.
//
// Sizes follow docs/DESIGN.md: builds use -trimpath -ldflags='-s -w', brotli runs at
// quality 11 with a 4 MiB window (the brotli CLI's defaults), and 1 MB is
// 1,000,000 bytes, 1 KB is 1,000 bytes.
package bench

//go:build js && wasm

// Package prog is the program the runner's tests run in Chromium. What each
// test does depends on OIDCWASM_TESTDATA_MODE, which the runner passes on.
package prog

import (
	"fmt"
	"os"
	"syscall/js"
	"testing"
)

func TestMode(t *testing.T) {
	mode := os.Getenv("OIDCWASM_TESTDATA_MODE")
	switch mode {
	case "", "pass":
		// The program runs in a page, not in node.
		if ua := js.Global().Get("navigator").Get("userAgent").String(); ua == "" {
			t.Fatal("no navigator.userAgent")
		}
		fmt.Println("pass: stdout \u2713 no newline at the end")
		fmt.Fprint(os.Stderr, "pass: stderr\n")
		js.Global().Get("console").Call("log", "pass: console")
		t.Logf("origin %s", js.Global().Get("location").Get("origin").String())
	case "fail":
		t.Fatal("failing on purpose")
	case "panic":
		panic("panicking on purpose")
	case "exit3":
		os.Exit(3)
	case "env":
		for _, k := range []string{"HOME", "PWD", "TMPDIR", "GOROOT", "OIDCWASM_WASMBROWSER_ORIGIN", "OIDCWASM_TESTDATA_SECRET_FREE"} {
			fmt.Printf("%s=%s\n", k, os.Getenv(k))
		}
		fmt.Printf("UNRELATED=%s\n", os.Getenv("UNRELATED"))
		fmt.Printf("args=%q\n", os.Args)
	case "hang":
		select {}
	default:
		t.Fatalf("unknown mode %q", mode)
	}
}

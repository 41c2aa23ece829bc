package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The gate-stability changes must carry no decision: a shift only adds lines
// above the first, and a rename changes every use of one name and nothing else.
func TestStabilityChangesOnlyShiftAndRename(t *testing.T) {
	src := []byte("package p\n\nfunc a() int { return 1 }\n")
	got := shiftDown(src, 3)
	if !bytes.HasSuffix(got, src) || bytes.Count(got, []byte("\n")) != bytes.Count(src, []byte("\n"))+3 {
		t.Errorf("shiftDown: %q", got)
	}

	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.go", "package p\n\n// check is called.\nfunc check() int { return other() }\n")
	write("b.go", "package p\n\nfunc other() int { return 2 }\n\nvar _ = check()\n")
	if err := renameInPackage(dir, "check", "verify"); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a.go"))
	b, _ := os.ReadFile(filepath.Join(dir, "b.go"))
	if !strings.Contains(string(a), "func verify() int { return other() }") || !strings.Contains(string(b), "var _ = verify()") ||
		!strings.Contains(string(a), "// check is called.") || strings.Contains(string(a)+string(b), "check()") {
		t.Errorf("after the rename:\n%s\n%s", a, b)
	}
	if err := renameInPackage(dir, "verify", "other"); err == nil {
		t.Error("a rename onto a name in use was not refused")
	}
	if err := renameInPackage(dir, "missing", "x"); err == nil {
		t.Error("a rename of a name nobody uses was not refused")
	}
}

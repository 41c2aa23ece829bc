package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeStatic is a static/ folder with an oidc.wasm, enough to start.
func fakeStatic(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "oidc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "oidc", "oidc.wasm"), []byte("\x00asm"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// freePorts returns n ports nobody listens on at the moment.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// syncBuffer is a bytes.Buffer safe for the command's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func portArgs(static string, p []int) []string {
	return []string{"-static", static, "-port", fmt.Sprint(p[0]), "-api-port", fmt.Sprint(p[1]),
		"-provider-a-port", fmt.Sprint(p[2]), "-provider-b-port", fmt.Sprint(p[3])}
}

func TestRunPrintsTheURLsAndUsersAndStopsCleanly(t *testing.T) {
	p := freePorts(t, 4)
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, portArgs(fakeStatic(t), p), &stdout, &stderr) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "Ctrl-C") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out := stdout.String()
	for _, want := range []string{
		fmt.Sprintf("http://localhost:%d/", p[0]),
		fmt.Sprintf("http://localhost:%d", p[2]), fmt.Sprintf("http://localhost:%d", p[3]),
		"alice/alice", "bob/bob",
		fmt.Sprintf("http://127.0.0.1:%d/api/a/", p[0]), fmt.Sprintf("http://localhost:%d/api/a/", p[1]),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit code %d after the stop, stderr %q", code, stderr.String())
	}
	// Everything is closed: the app port can be taken again.
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p[0]))
	if err != nil {
		t.Errorf("app port still held after the stop: %v", err)
	} else {
		ln.Close()
	}
}

func TestRunSaysWhichPortIsTakenInOneLine(t *testing.T) {
	p := freePorts(t, 4)
	for i, flag := range []string{"-port", "-api-port", "-provider-a-port", "-provider-b-port"} {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p[i]))
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		code := run(t.Context(), portArgs(fakeStatic(t), p), &stdout, &stderr)
		ln.Close()
		msg := stderr.String()
		if code != 1 || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, fmt.Sprintf("port %d", p[i])) ||
			!strings.Contains(msg, "already in use") || !strings.Contains(msg, flag) {
			t.Errorf("%s taken: exit %d, stderr %q; want one line naming port %d and %s", flag, code, msg, p[i], flag)
		}
	}
}

func TestParseArgsRejectsBadFlagsNamingThem(t *testing.T) {
	static := fakeStatic(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-port", "0"}, "-port 0"},
		{[]string{"-provider-b-port", "70000"}, "-provider-b-port"},
		{[]string{"-issuer", "https://login.example.com"}, "-client-id"},
		{[]string{"-client-id", "spa"}, "-issuer"},
		{[]string{"-access-token-lifetime", "-1s"}, "-access-token-lifetime"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		_, err := parseArgs(append([]string{"-static", static}, tt.args...))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseArgs(%q) = %v, want an error naming %s", tt.args, err, tt.want)
		}
	}
	cfg, err := parseArgs([]string{"-static", static, "-issuer", "https://login.example.com", "-client-id", "spa"})
	if err != nil || cfg.Issuer != "https://login.example.com" || cfg.ClientID != "spa" || cfg.AppPort != 8080 {
		t.Errorf("external provider flags: %+v, %v", cfg, err)
	}
}

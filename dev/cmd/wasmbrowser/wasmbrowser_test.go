package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/internal/engine"
)

// built holds the runner and the test program of testdata/prog, built once.
var built struct {
	runner, prog string
	err          error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasmbrowser-test")
	if err != nil {
		panic(err)
	}
	built.runner = filepath.Join(dir, "wasmbrowser")
	built.prog = filepath.Join(dir, "prog.wasm")
	built.err = goCmd("", "build", "-o", built.runner, ".")
	if built.err == nil {
		built.err = goCmd("js", "test", "-c", "-o", built.prog, "./testdata/prog")
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func goCmd(goos string, args ...string) error {
	cmd := exec.Command("go", args...)
	if goos != "" {
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=wasm")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return errors.New("go " + strings.Join(args, " ") + ": " + err.Error() + "\n" + string(out))
	}
	return nil
}

// needBrowser skips the test without the browser of $OIDCWASM_ENGINE
// (Chromium by default), except in CI, where it fails.
func needBrowser(t *testing.T) {
	t.Helper()
	if built.err != nil {
		t.Fatal(built.err)
	}
	n, err := engine.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(engine.Binary(n, engine.Options{})); err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("no %s: %s", n, engine.Install(n))
	}
	t.Skipf("no %s: %s", n, engine.Install(n))
}

// runProg runs testdata/prog in the runner with the mode and the extra
// environment, and returns its exit code and its stdout and stderr.
func runProg(t *testing.T, mode string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(built.runner, append([]string{built.prog}, args...)...)
	cmd.Env = append(os.Environ(), append(env, "OIDCWASM_TESTDATA_MODE="+mode)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

func TestRunnerPropagatesOutcome(t *testing.T) {
	needBrowser(t)
	tests := []struct {
		mode       string
		env        []string
		wantCode   int
		wantStdout []string
		wantStderr []string
		notStdout  []string
	}{
		{mode: "pass", wantCode: 0,
			// Bytes arrive as written: no console prefix, a line without its newline is kept.
			wantStdout: []string{"=== RUN   TestMode\npass: stdout \u2713 no newline at the end\n", "origin http://localhost:", "--- PASS: TestMode", "\nPASS\n"},
			wantStderr: []string{"pass: stderr\n", "console.log: pass: console\n"}},
		{mode: "fail", wantCode: 1, wantStdout: []string{"failing on purpose", "--- FAIL: TestMode", "\nFAIL\n"}},
		{mode: "panic", wantCode: 2, wantStderr: []string{"panic: panicking on purpose"}},
		{mode: "exit3", wantCode: 3},
		{mode: "env", env: []string{"UNRELATED=secret", "HOME=/home/x", "OIDCWASM_TESTDATA_SECRET_FREE=yes", "GOOGLE_THING=x"}, wantCode: 0,
			wantStdout: []string{"\nHOME=/home/x\n", "\nPWD=/", "\nTMPDIR=/", "OIDCWASM_WASMBROWSER_ORIGIN=http://localhost:", "OIDCWASM_TESTDATA_SECRET_FREE=yes", "\nUNRELATED=\n", `args=["js" "-test.v"]`}},
		{mode: "hang", env: []string{"OIDCWASM_WASMBROWSER_TIMEOUT=2s"}, wantCode: 2,
			wantStderr: []string{"all goroutines are asleep", "the program did not exit in time (after 2s"}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runProg(t, tt.mode, tt.env, "-test.v")
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			for _, s := range tt.wantStdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q", s)
				}
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q", s)
				}
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
		})
	}
}

// TestGoTestExec runs the program the way the project does, through go test
// -exec, and checks that go test -json sees the test events.
func TestGoTestExec(t *testing.T) {
	needBrowser(t)
	for _, tt := range []struct {
		mode       string
		wantAction string
	}{
		{"pass", "pass"},
		{"fail", "fail"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("go", "test", "-count=1", "-json", "-exec="+built.runner, "./testdata/prog")
			cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "OIDCWASM_TESTDATA_MODE="+tt.mode)
			out, err := cmd.Output()
			if failed := err != nil; failed != (tt.wantAction == "fail") {
				t.Errorf("go test error: %v", err)
			}
			found := false
			for line := range strings.Lines(string(out)) {
				var ev struct{ Action, Test string }
				if json.Unmarshal([]byte(line), &ev) == nil && ev.Test == "TestMode" && ev.Action == tt.wantAction {
					found = true
				}
			}
			if !found {
				t.Errorf("go test -json has no %q event for TestMode; got\n%s", tt.wantAction, out)
			}
		})
	}
}

func TestExitLimit(t *testing.T) {
	tests := []struct {
		env  string
		args []string
		want time.Duration
	}{
		{"", nil, defaultLimit},
		{"", []string{"-test.v", "-test.timeout=30s"}, 30*time.Second + grace},
		{"", []string{"-test.timeout", "2m"}, 2*time.Minute + grace},
		{"", []string{"--test.timeout=1m"}, time.Minute + grace},
		{"", []string{"-test.timeout=0s"}, defaultLimit},
		{"5s", []string{"-test.timeout=30s"}, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Setenv("OIDCWASM_WASMBROWSER_TIMEOUT", tt.env)
		if got, err := exitLimit(tt.args); err != nil || got != tt.want {
			t.Errorf("exitLimit(%q) with OIDCWASM_WASMBROWSER_TIMEOUT=%q = %v, %v; want %v", tt.args, tt.env, got, err, tt.want)
		}
	}
	t.Setenv("OIDCWASM_WASMBROWSER_TIMEOUT", "soon")
	if _, err := exitLimit(nil); err == nil {
		t.Error("a malformed OIDCWASM_WASMBROWSER_TIMEOUT was accepted")
	}
}

func TestWasmEnvKeepsOnlyWhatTestsNeed(t *testing.T) {
	env := wasmEnv([]string{"HOME=/h", "GOCACHE=/c", "GOFLAGS=-x", "OIDCWASM_X=1", "CI=true",
		"AWS_SECRET_ACCESS_KEY=s", "GOOGLE_APPLICATION_CREDENTIALS=/k", "PATH=/bin", "TMPDIR=/t"})
	for k, v := range map[string]string{"HOME": "/h", "GOCACHE": "/c", "GOFLAGS": "-x", "OIDCWASM_X": "1", "CI": "true", "TMPDIR": "/t"} {
		if env[k] != v {
			t.Errorf("env[%s] = %q, want %q", k, env[k], v)
		}
	}
	for _, k := range []string{"AWS_SECRET_ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "PATH"} {
		if _, ok := env[k]; ok {
			t.Errorf("env has %s", k)
		}
	}
	if env["PWD"] == "" {
		t.Error("env has no PWD")
	}
}

func TestEndpoints(t *testing.T) {
	srv := httptest.NewServer(newMux("testdata/prog/prog_test.go", "testdata/prog/prog_test.go", newProgram()))
	defer srv.Close()

	req, _ := http.NewRequest("PUT", srv.URL+"/echo?q=1", strings.NewReader("hello"))
	req.Header.Set("Authorization", "Bearer x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got echoed
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if got.Method != "PUT" || got.Path != "/echo" || got.Query != "q=1" || got.Body != "hello" ||
		got.Headers["Authorization"][0] != "Bearer x" || resp.Header.Get("X-Wasmbrowser") != "echo" ||
		resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("echo = %+v, headers %v", got, resp.Header)
	}

	req, _ = http.NewRequest("OPTIONS", srv.URL+"/echo", nil)
	req.Header.Set("Origin", "http://127.0.0.1")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Headers") != "authorization, content-type" ||
		resp.Header.Get("Access-Control-Allow-Methods") != "POST" {
		t.Errorf("preflight = %d %v", resp.StatusCode, resp.Header)
	}

	// /slow holds the request until the client goes away, and /slow/gone tells.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, "GET", srv.URL+"/slow?id=t1", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("/slow answered %d", resp.StatusCode)
	}
	resp, err = http.Get(srv.URL + "/slow/gone?id=t1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/slow/gone = %d after the client went away", resp.StatusCode)
	}

	for path, want := range map[string]int{"/status/418": 418, "/status/500": 500, "/status/99": 400, "/status/x": 400} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
}

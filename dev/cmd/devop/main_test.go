package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBadInput checks every kind of bad input exits non-zero with one line
// on stderr that names the setting.
func TestBadInput(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strings.TrimPrefix(busy.Addr().String(), "127.0.0.1:")

	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badJSON := write("bad.json", "{\n  \"port\": 1,\n  \"clients\": [\n}")
	unknownField := write("unknown.json", `{"prot": 1}`)
	badClient := write("client.json", `{"clients":[{"id":"x","redirect_uris":["::bad"]}]}`)
	badDuration := write("duration.json", `{"access_token_lifetime":"soon"}`)
	publicHost := write("host.json", `{"host":"0.0.0.0"}`)
	missing := filepath.Join(dir, "missing.json")

	for _, tc := range []struct {
		name string
		args []string
		want string // substring of the one line
	}{
		{"unknown flag", []string{"-nope"}, "-nope"},
		{"extra argument", []string{"serve"}, `unexpected argument "serve"`},
		{"malformed redirect URI", []string{"-client", "id=spa,redirect=::bad"},
			`devop: -client redirect URI "::bad": not an absolute URL`},
		{"client without id", []string{"-client", "redirect=http://localhost:8080/"}, "-client client id is required"},
		{"client unknown key", []string{"-client", "id=spa,redirct=http://localhost:8080/"}, `-client unknown key "redirct"`},
		{"wildcard origin", []string{"-client", "id=spa,redirect=http://localhost:8080/,origin=*"}, `-client origin "*"`},
		{"bad post-logout URI", []string{"-client", "id=spa,redirect=http://localhost:8080/,postlogout=nope"},
			`-client post-logout redirect URI "nope"`},
		{"front-channel URI on another origin", []string{"-client", "id=spa,redirect=http://localhost:8080/,frontchannel=http://localhost:9999/fc.html"},
			`-client front-channel logout URI "http://localhost:9999/fc.html": must be on the scheme, host and port of a redirect URI`},
		{"port in use", []string{"-port", busyPort}, "devop: -port " + busyPort + ": listen tcp"},
		{"non-loopback host in config", []string{"-config", publicHost}, "-config " + publicHost + ": host 0.0.0.0: not a loopback address"},
		{"port out of range", []string{"-port", "70000"}, "-port 70000"},
		{"non-loopback host", []string{"-host", "0.0.0.0", "-port", "0"}, "-host 0.0.0.0: not a loopback address"},
		{"bad issuer", []string{"-issuer", "localhost:5556"}, `-issuer "localhost:5556"`},
		{"bad duration", []string{"-access-token-lifetime", "soon"}, "-access-token-lifetime"},
		{"negative duration", []string{"-id-token-lifetime", "-1s"}, "-id-token-lifetime -1s"},
		{"unknown auto-login user", []string{"-port", "0", "-auto-login", "mallory"}, `AutoLogin "mallory"`},
		{"unreadable config", []string{"-config", missing}, "-config " + missing},
		{"malformed config", []string{"-config", badJSON}, "-config " + badJSON + ": line 4"},
		{"unknown config field", []string{"-config", unknownField}, `"prot"`},
		{"bad client in config", []string{"-config", badClient}, `clients[0]: redirect URI "::bad"`},
		{"bad duration in config", []string{"-config", badDuration}, `access_token_lifetime "soon"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tc.args, &stdout, &stderr)
			msg := stderr.String()
			if code == 0 {
				t.Fatalf("exit 0, want non-zero; stderr %q", msg)
			}
			if strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") || !strings.HasPrefix(msg, "devop: ") {
				t.Errorf("stderr %q: want exactly one line starting with devop:", msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("stderr %q: want it to name %q", msg, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer safe for the command goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunServesUntilCancelled starts the command with a config file and a
// -client flag, checks the one line it prints and the clients it serves,
// then stops it as SIGINT would.
func TestRunServesUntilCancelled(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "devop.json")
	if err := os.WriteFile(cfgFile, []byte(`{
		"port": 0,
		"clients": [{"id": "spa-a", "redirect_uris": ["http://localhost:8080/"], "origins": ["http://localhost:8080"]}],
		"access_token_lifetime": "30s"
	}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr lockedBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"-config", cfgFile,
			"-client", "id=spa-b,redirect=http://localhost:8081/,postlogout=http://localhost:8081/,origin=http://localhost:8081"},
			&stdout, &stderr)
	}()

	var line string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if line = stdout.String(); strings.HasSuffix(line, "\n") {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no startup line; stderr %q", stderr.String())
		}
	}
	fields := strings.Fields(line)
	if len(fields) < 3 || fields[1] != "issuer" || !strings.Contains(line, "alice/alice") || !strings.Contains(line, "bob/bob") {
		t.Fatalf("startup line %q: want the issuer and the demo users", line)
	}
	issuer := fields[2]

	for _, origin := range []string{"http://localhost:8080", "http://localhost:8081"} {
		req, _ := http.NewRequest(http.MethodGet, issuer+"/.well-known/openid-configuration", nil)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var disc map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&disc)
		resp.Body.Close()
		if disc["issuer"] != issuer || resp.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("origin %s: issuer %v, Allow-Origin %q", origin, disc["issuer"], resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}

	cancel()
	select {
	case code := <-exit:
		if code != 0 || stderr.String() != "" {
			t.Errorf("after stop: exit %d, stderr %q; want 0 and nothing", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("command did not stop")
	}
	if resp, err := http.Get(issuer + "/keys"); err == nil {
		resp.Body.Close()
		t.Error("provider still answers after stop")
	}
}

// TestHelp checks -h prints usage and exits 0.
func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-client SPEC") {
		t.Errorf("-h: exit %d, stderr %q", code, stderr.String())
	}
}

// TestPARAndDPoPSettings checks the flags and file fields of RFC 9126 and
// RFC 9449 reach the Config.
func TestPARAndDPoPSettings(t *testing.T) {
	cfg, err := parseArgs([]string{"-require-par", "-par-lifetime", "5s", "-dpop-proof-window", "30s"})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.RequirePushedAuthorizationRequests || cfg.PushedRequestLifetime != 5*time.Second || cfg.DPoPProofWindow != 30*time.Second {
		t.Errorf("flags: %+v", cfg)
	}
	p := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(p, []byte(`{"require_pushed_authorization_requests":true,"pushed_request_lifetime":"2s","dpop_proof_window":"10s"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = parseArgs([]string{"-config", p})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.RequirePushedAuthorizationRequests || cfg.PushedRequestLifetime != 2*time.Second || cfg.DPoPProofWindow != 10*time.Second {
		t.Errorf("file: %+v", cfg)
	}
	if _, err := parseArgs([]string{"-par-lifetime", "0s"}); err == nil || !strings.Contains(err.Error(), "-par-lifetime") {
		t.Errorf("-par-lifetime 0s: %v, want an error naming the flag", err)
	}
}

// TestClientFrontchannelKey: frontchannel=URL registers the client's
// frontchannel_logout_uri with iss and sid (what oidcwasm needs).
func TestClientFrontchannelKey(t *testing.T) {
	cfg, err := parseArgs([]string{"-client", "id=spa,redirect=http://localhost:8080/,frontchannel=http://localhost:8080/frontchannel-logout.html"})
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Clients[0]
	if c.FrontchannelLogoutURI != "http://localhost:8080/frontchannel-logout.html" || !c.FrontchannelLogoutSessionRequired {
		t.Fatalf("client %+v", c)
	}
}

package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// page is the HTML page that loads wasm_exec.js and waits for the runner to
// start the program; see the script inside it.
//
//go:embed page.html
var page []byte

// The server serves, on http://localhost:<port>:
//
//	GET /               the page
//	GET /wasm_exec.js   the toolchain's wasm_exec.js
//	GET /test.wasm      the binary under test
//	GET /wasmbrowser/start  the program's argv and environment, as JSON
//	POST /wasmbrowser/out   the page's messages to the runner (see page.html),
//	                    a JSON array of "kind:data" strings, in order
//	/echo               any method: a JSON object {method, path, query, headers, body}
//	                    describing the request (headers as {name: [values]}, body as text),
//	                    with the response header X-Wasmbrowser: echo
//	/slow               never answers; the handler returns when the client goes away.
//	                    With ?body=1 it sends the status and headers and part of the body first.
//	                    With ?id=<name>, GET /slow/gone?id=<name> later answers 200 "gone" once
//	                    that request's client has gone away (it waits up to 5 s, then 408):
//	                    the proof that an abort reached the network.
//	/status/{code}      answers with that status (200 to 599) and a short text body
//	GET /unused-port    the origin (http://localhost:<port>) of a port nobody listens on
//
// The endpoints other than the first five answer CORS preflights and allow
// every origin, method and header, and expose every response header, for
// requests without credentials; so a test can also call them cross-origin
// through http://127.0.0.1:<port>.
type server struct {
	origin string
	srv    *http.Server
	prog   *program
}

// program is what the page and the runner exchange through the server: the
// start parameters one way, the page's messages the other. Every engine
// speaks HTTP, so the runner needs nothing of a browser protocol for it.
type program struct {
	start    atomic.Pointer[[]byte] // {"argv": [...], "env": {...}}
	messages chan string            // "kind:data", in the page's order
}

func newProgram() *program { return &program{messages: make(chan string, 1024)} }

// setStart sets what GET /wasmbrowser/start answers.
func (p *program) setStart(argv []string, env map[string]string) {
	b := mustJSON(map[string]any{"argv": argv, "env": env})
	p.start.Store(&b)
}

func startServer(binary, execJS string, prog *program) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{
		origin: fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port),
		srv:    &http.Server{Handler: newMux(binary, execJS, prog), ReadHeaderTimeout: 10 * time.Second},
		prog:   prog,
	}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the server at once, ending pending /slow requests.
func (s *server) Close() error { return s.srv.Close() }

func newMux(binary, execJS string, prog *program) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /wasmbrowser/start", func(w http.ResponseWriter, r *http.Request) {
		start := prog.start.Load()
		if start == nil {
			http.Error(w, "the runner has not set the program's arguments", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(*start)
	})
	mux.HandleFunc("POST /wasmbrowser/out", func(w http.ResponseWriter, r *http.Request) {
		var batch []string
		if err := json.NewDecoder(io.LimitReader(r.Body, 256<<20)).Decode(&batch); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, m := range batch {
			select {
			case prog.messages <- m:
			case <-r.Context().Done():
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(page)
	})
	mux.HandleFunc("GET /wasm_exec.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeFile(w, r, execJS)
	})
	mux.HandleFunc("GET /test.wasm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/wasm") // needed by instantiateStreaming
		http.ServeFile(w, r, binary)
	})
	mux.HandleFunc("/echo", cors(echo))
	var sl slowRequests
	mux.HandleFunc("/slow", cors(sl.serve))
	mux.HandleFunc("GET /slow/gone", cors(sl.gone))
	mux.HandleFunc("/status/{code}", cors(status))
	mux.HandleFunc("GET /unused-port", cors(unusedPort))
	// /redirect?to=PATH answers 302 to PATH on this origin.
	mux.HandleFunc("GET /redirect", cors(func(w http.ResponseWriter, r *http.Request) {
		to := r.URL.Query().Get("to")
		if !strings.HasPrefix(to, "/") || strings.HasPrefix(to, "//") {
			http.Error(w, "to must be a path on this origin", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, to, http.StatusFound)
	}))
	return mux
}

// cors lets any origin call h without credentials, and answers preflights.
func cors(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Expose-Headers", "*")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			w.Header().Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
			// "*" would not cover Authorization, so name what was asked for.
			if h := r.Header.Get("Access-Control-Request-Headers"); h != "" {
				w.Header().Set("Access-Control-Allow-Headers", h)
			}
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h(w, r)
	}
}

// echoed is the JSON body of /echo.
type echoed struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   string              `json:"query"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Wasmbrowser", "echo")
	json.NewEncoder(w).Encode(echoed{
		Method:  r.Method,
		Path:    r.URL.Path,
		Query:   r.URL.RawQuery,
		Headers: r.Header,
		Body:    string(body),
	})
}

// slowRequests remembers, by id, when /slow requests ended.
type slowRequests struct {
	mu    sync.Mutex
	ended map[string]chan struct{}
}

func (sl *slowRequests) ch(id string) chan struct{} {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.ended == nil {
		sl.ended = make(map[string]chan struct{})
	}
	if sl.ended[id] == nil {
		sl.ended[id] = make(chan struct{})
	}
	return sl.ended[id]
}

func (sl *slowRequests) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("body") != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("partial"))
		http.NewResponseController(w).Flush()
	}
	select {
	case <-r.Context().Done():
		if id := r.URL.Query().Get("id"); id != "" {
			c := sl.ch(id)
			sl.mu.Lock()
			select {
			case <-c: // an id used twice
			default:
				close(c)
			}
			sl.mu.Unlock()
		}
	case <-time.After(5 * time.Minute): // never hold a leaked connection forever
	}
}

func (sl *slowRequests) gone(w http.ResponseWriter, r *http.Request) {
	select {
	case <-sl.ch(r.URL.Query().Get("id")):
		io.WriteString(w, "gone")
	case <-time.After(5 * time.Second):
		http.Error(w, "the client is still there", http.StatusRequestTimeout)
	}
}

func status(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	if err != nil || code < 200 || code > 599 {
		http.Error(w, "status must be 200 to 599", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, "status %d\n", code)
}

// unusedPort answers with the origin of a port that was free a moment ago.
// Another process could take it in between, which is unlikely enough for tests.
func unusedPort(w http.ResponseWriter, r *http.Request) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "http://localhost:%d", port)
}

// wasmExecJS finds wasm_exec.js of the toolchain that built the binary: under
// $GOROOT, else under `go env GOROOT` (go test puts its own go first in PATH).
func wasmExecJS(ctx context.Context) (string, error) {
	goroot := os.Getenv("GOROOT")
	if goroot == "" {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
		if err != nil {
			return "", fmt.Errorf("finding GOROOT with go env GOROOT (set GOROOT to skip this): %w", err)
		}
		goroot = strings.TrimSpace(string(out))
	}
	p := filepath.Join(goroot, "lib", "wasm", "wasm_exec.js")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("wasm_exec.js of the Go toolchain: %w", err)
	}
	return p, nil
}

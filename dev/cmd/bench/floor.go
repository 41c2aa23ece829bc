package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"path/filepath"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/oidcwasm/oidcwasm/dev/bench"
)

// The start-up floors: modules that oidc.js loads exactly as it loads the
// bridge, holding only what no build of the bridge can leave out. The
// runtime floor is Go's runtime and syscall/js; the verifier floor adds the
// ID-token verification docs/DESIGN.md prescribes (go-jose's JWK Set, go-oidc's
// IDTokenVerifier). What the bridge takes beyond the verifier floor is what
// its own code costs; what the verifier floor takes beyond oidc-client-ts
// no change to the bridge can win back.
//
// The bridge itself is the last entry, loaded on the same page (it is
// not configured there, so the page measures only its start).
var floors = []struct{ name, pkg string }{
	{"runtime", "./bench/floor/runtime"},
	{"verifier", "./bench/floor/verifier"},
	{libBridge, ""}, // static/oidc/oidc.wasm, from make build
}

// floorWasm is floor name's module: built by runBrowser, or the bridge's.
func floorWasm(e *env, name string) string {
	if name == libBridge {
		return filepath.Join(e.root, "static/oidc/oidc.wasm")
	}
	return filepath.Join(e.artifacts, "wasm", "floor-"+name+".wasm")
}

// buildFloors builds every floor module with the Makefile's flags, as the
// bridge is built, and returns their sizes in bytes by name.
func buildFloors(ctx context.Context, e *env) (map[string]int64, error) {
	sizes := map[string]int64{}
	for _, f := range floors {
		out := floorWasm(e, f.name)
		if f.pkg != "" {
			if err := buildWasm(ctx, e.dev, f.pkg, out, e.wasmFlags, true); err != nil {
				return nil, err
			}
		}
		st, err := os.Stat(out)
		if err != nil {
			return nil, err
		}
		sizes[f.name] = st.Size()
	}
	return sizes, nil
}

// floorToken is what the verifier floor page verifies: an RS256 ID token
// and the JWK Set with its key, minted by the bench.
type floorToken struct {
	JWKS     string `json:"jwks"`
	Issuer   string `json:"issuer"`
	ClientID string `json:"clientId"`
	IDToken  string `json:"idToken"`
}

// mintFloorToken signs an ID token for clientID from issuer, valid for a day.
func mintFloorToken(issuer string) (*floorToken, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "floor"}}, nil)
	if err != nil {
		return nil, err
	}
	now := time.Now().Unix()
	claims, _ := json.Marshal(map[string]any{"iss": issuer, "aud": clientID, "sub": "alice",
		"iat": now, "exp": now + 86400, "nonce": "floor"})
	jws, err := signer.Sign(claims)
	if err != nil {
		return nil, err
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		return nil, err
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "floor", Algorithm: "RS256", Use: "sig"}}})
	return &floorToken{JWKS: string(jwks), Issuer: issuer, ClientID: clientID, IDToken: raw}, nil
}

// addFloors serves the floor pages at /floor/NAME/ and their files at
// /floor/NAME/oidc/ (oidc.js and wasm_exec.js of the bridge, the floor's
// module as oidc.wasm), with the bridge page's headers.
func (s *site) addFloors(mux *http.ServeMux, e *env) error {
	page, err := template.ParseFS(bench.Pages, "pages/floor.html")
	if err != nil {
		return err
	}
	tok, err := mintFloorToken(s.origin + "/floor")
	if err != nil {
		return err
	}
	oidcDir := http.FileServer(http.Dir(filepath.Join(e.root, "static/oidc")))
	for _, f := range floors {
		prefix := "/floor/" + f.name + "/"
		mux.HandleFunc("GET "+prefix+"{$}", func(w http.ResponseWriter, r *http.Request) {
			p := struct {
				Name   string
				Params pageParams
				Token  *floorToken
			}{Name: f.name, Params: pageParams{Lib: "floor-" + f.name, Variant: "floor"}, Token: &floorToken{}}
			if f.name == "verifier" {
				p.Token = tok
			}
			isolatedPage(w)
			if err := page.Execute(w, p); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		})
		mux.Handle("GET "+prefix+"oidc/oidc.wasm", cached(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, floorWasm(e, f.name))
		})))
		mux.Handle("GET "+prefix+"oidc/", cached(http.StripPrefix(prefix+"oidc/", oidcDir)))
	}
	return nil
}

// floorSample is one run of the floor flow for one floor module.
type floorSample struct {
	ReadyCold  float64   `json:"ready_cold_ms"`
	VerifyCold float64   `json:"verify_cold_ms"` // the first ID-token verification on the cold page
	ReadyWarm  []float64 `json:"ready_warm_ms"`
	VerifyWarm []float64 `json:"verify_warm_ms"`
	LoadCold   report    `json:"load_cold"`
	LoadWarm   []report  `json:"load_warm"`
	// Trace is one more warm reload, traced: the module's cost on the
	// renderer's main thread.
	Trace wasmMainThread `json:"trace"`
}

// floorFlow loads floor name's page as mainFlow loads the bridge's: in a
// fresh browser with the HTTP cache disabled (cold), then warm reloads, and
// one more under the trace.
func floorFlow(ctx context.Context, e *env, s *site, name string) (*floorSample, error) {
	t, err := openCold(ctx, e, s.origin+"/floor/"+name+"/")
	if err != nil {
		return nil, err
	}
	defer t.close()
	r, err := t.wait("load", time.Minute)
	if err != nil {
		return nil, err
	}
	if !r.Authenticated {
		return nil, fmt.Errorf("floor %s: the page did not finish%s", name, t.consoleTail())
	}
	sm := &floorSample{ReadyCold: r.ReadyMs, VerifyCold: r.AuthMs, LoadCold: r}
	warm, err := t.warmReloads(e.opts.dwell)
	if err != nil {
		return nil, err
	}
	for _, r := range warm {
		if all, _ := r.fromCache(); !all {
			return nil, fmt.Errorf("floor %s: a warm load fetched a file from the network", name)
		}
		sm.ReadyWarm = append(sm.ReadyWarm, r.ReadyMs)
		sm.VerifyWarm = append(sm.VerifyWarm, r.AuthMs)
		sm.LoadWarm = append(sm.LoadWarm, r)
	}
	if sm.Trace, err = tracedReload(t); err != nil {
		return nil, fmt.Errorf("floor %s: %w", name, err)
	}
	return sm, nil
}

// floorRows set each floor beside the bridge and oidc-client-ts: oidc.ready
// on a cold and a warm load, and (the verifier floor) the first ID-token
// verification on the page. The last row is the floor's warm oidc.ready
// against oidc-client-ts's whole reload (session restored): a ratio above a
// target there is one the bridge cannot reach with this verifier.
func floorRows(b *browserReport) []row {
	if len(b.Floor) == 0 {
		return nil
	}
	floorStat := func(name string, f func(*floorSample) []float64) stat { return pooled(b.Floor[name], f) }
	mainStat := func(lib string, f func(*mainSample) []float64) stat { return pooled(b.Main[lib], f) }
	pair := func(cold, warm stat) string {
		return cold.format("ms", 1) + " / " + warm.format("ms", 1)
	}
	readyCold := func(s *mainSample) []float64 { return []float64{s.ReadyCold} }
	readyWarm := func(s *mainSample) []float64 { return s.ReadyWarm }
	octCold, octWarm := mainStat(libOCT, readyCold), mainStat(libOCT, readyWarm)
	rows := []row{{Section: "floor", Metric: "start-up floors (dev/bench/floor), loaded by oidc.js like the bridge: cold / warm"}}
	for _, f := range floors {
		cold := floorStat(f.name, func(s *floorSample) []float64 { return []float64{s.ReadyCold} })
		warm := floorStat(f.name, func(s *floorSample) []float64 { return s.ReadyWarm })
		rows = append(rows, row{Section: "floor", Metric: fmt.Sprintf("%s floor (%s raw): oidc.ready / bundle run", f.name, mb(b.FloorBytes[f.name])),
			This: pair(cold, warm), Peer: pair(octCold, octWarm), Ratio: ratio(cold, octCold) + " / " + ratio(warm, octWarm), Value: warm.med})
	}
	for _, f := range floors {
		tr := func(g func(wasmMainThread) float64) stat {
			return floorStat(f.name, func(s *floorSample) []float64 { return []float64{g(s.Trace)} })
		}
		total, recv := tr(wasmMainThread.total), tr(func(w wasmMainThread) float64 { return w.BytesReceived })
		fin, inst := tr(func(w wasmMainThread) float64 { return w.Finish }), tr(func(w wasmMainThread) float64 { return w.Instantiate })
		hits := 0
		for _, sm := range b.Floor[f.name] {
			if sm.Trace.CacheHit {
				hits++
			}
		}
		rows = append(rows, row{Section: "floor", Metric: f.name + ": main-thread ms on the module, warm reload (trace): bytes received + stream finished + instantiated; V8's module cache hit",
			This: fmt.Sprintf("%.1f = %.1f + %.1f + %.1f; hit on %d of %d traced reloads", total.med, recv.med, fin.med, inst.med, hits, len(b.Floor[f.name])), Value: total.med})
	}
	vc := floorStat("verifier", func(s *floorSample) []float64 { return []float64{s.VerifyCold} })
	vw := floorStat("verifier", func(s *floorSample) []float64 { return s.VerifyWarm })
	rows = append(rows, row{Section: "floor", Metric: "verifier floor: the page's first ID-token verification (oidc-client-ts checks no signature)",
		This: pair(vc, vw)})
	fw := floorStat("verifier", func(s *floorSample) []float64 { return s.ReadyWarm })
	restore := mainStat(libOCT, func(s *mainSample) []float64 { return s.Restore })
	rw := row{Section: "floor", Metric: "verifier floor's warm oidc.ready vs oidc-client-ts's reload → session restored",
		This: fw.format("ms", 1), Peer: restore.format("ms", 1), Ratio: ratio(fw, restore), Target: "≤ 1.5× (the reload row's target)"}
	if fw.ok() && restore.ok() {
		rw.Status = okMiss(fw.med <= 1.5*restore.med)
	}
	rows = append(rows, rw)
	return rows
}

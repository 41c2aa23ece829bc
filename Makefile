# oidcwasm — see README.md. `make demo` runs the demo, `make test` runs every test layer.
SHELL := /bin/bash
GO ?= go
GOROOT := $(shell $(GO) env GOROOT)
# Inlining stays on: the raw wasm is 0.58 MB smaller than with -gcflags=all=-l,
# which is what the browser takes through its main thread on every load (and
# what the size gate counts); -l compressed ~100 KB better, which only a first
# download would see (README, "Size and speed").
WASMFLAGS := -trimpath -ldflags='-s -w'
CHROMIUM ?= /usr/bin/chromium
BUILD := build
# The engines every browser test layer runs in (dev/internal/engine).
ENGINES := chromium firefox webkit

.PHONY: all build demo test test-native test-browser test-e2e check-size run-e2e run-size typecheck bench mutate chromium browsers vet clean \
	$(addprefix test-browser-,$(ENGINES)) $(addprefix run-e2e-,$(ENGINES))

all: build

## build: the JS bridge (static/oidc/) and the demo site (static/)
build:
	@mkdir -p static/oidc $(BUILD)
	GOOS=js GOARCH=wasm $(GO) build $(WASMFLAGS) -o static/oidc/oidc.wasm ./wasm
	cp $(GOROOT)/lib/wasm/wasm_exec.js static/oidc/wasm_exec.js
	cp wasm/oidc.js wasm/oidc-sw.js wasm/oidc.d.ts static/oidc/
	cp silentrefresh/silent-refresh.html silentrefresh/frontchannel-logout.html static/
	cd dev && GOOS=js GOARCH=wasm $(GO) build $(WASMFLAGS) -o ../static/web/app.wasm ./demoapp
	cd dev && $(GO) run ./demoapp -out ../static
	@# .br and .gz beside each module: the demo server (and any static host that
	@# supports it) sends them with Content-Encoding instead of 8 MB of raw wasm.
	cd dev && $(GO) run ./cmd/precompress ../static/oidc/oidc.wasm ../static/web/app.wasm

## browsers: install Debian's chromium, firefox-esr, webkit2gtk-driver (WebKitWebDriver and
##           MiniBrowser) and xvfb (MiniBrowser needs a display) when any is missing
browsers:
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	[ -x /usr/bin/firefox-esr ] || missing="$$missing firefox-esr"; \
	[ -x /usr/bin/WebKitWebDriver ] || missing="$$missing webkit2gtk-driver"; \
	command -v Xvfb >/dev/null || missing="$$missing xvfb"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing (apt-get)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q $$missing; \
	  else sudo apt-get update -q && sudo apt-get install -y -q $$missing; fi; \
	fi

## chromium: install Debian's Chromium when it is missing (what make bench needs)
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "installing chromium (apt-get)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; \
	  else sudo apt-get update -q && sudo apt-get install -y -q chromium; fi; \
	fi

vet:
	@# go.mod says what the code imports (go-oidc and go-jose are direct): tidy changes nothing.
	$(GO) mod tidy -diff
	cd dev && $(GO) mod tidy -diff
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./...
	cd dev && $(GO) vet ./...
	cd dev && GOOS=js GOARCH=wasm $(GO) vet ./demoapp/... ./bench/floor/...

## test: vet, native tests (race), browser and end-to-end tests in Chromium, Firefox and WebKit,
#       size budgets (dev/scripts/test-all.sh: every layer runs, then one line per layer and
#       "N passed, N failed")
test: browsers
	bash dev/scripts/test-all.sh

## typecheck: oidc.d.ts and a typed usage file under tsc --strict (TypeScript pinned in dev/package.json)
typecheck:
	@if [ ! -x dev/node_modules/.bin/tsc ]; then cd dev && npm ci --no-audit --no-fund --loglevel=error; fi
	cd dev && node_modules/.bin/tsc --noEmit --strict --lib dom,es2020 --target es2020 ../wasm/oidc.d.ts typecheck/usage.ts

test-native:
	$(GO) test -race ./...
	cd dev && $(GO) test -race $$($(GO) list ./... | grep -v /e2e)

## test-browser: the GOOS=js tests in every engine; test-browser-firefox (etc.) in one
test-browser: $(addprefix test-browser-,$(ENGINES))

$(addprefix test-browser-,$(ENGINES)): test-browser-%:
	OIDCWASM_ENGINE=$* bash dev/scripts/test-browser.sh

test-e2e: build run-e2e

## run-e2e: the end-to-end tests in every engine; run-e2e-webkit (etc.) in one
run-e2e: $(addprefix run-e2e-,$(ENGINES))

$(addprefix run-e2e-,$(ENGINES)): run-e2e-%:
	@# -timeout: WebKit starts a MiniBrowser per fresh context; on a loaded machine the suite
	@# ran past go test's default 10 minutes.
	cd dev && OIDCWASM_ENGINE=$* $(GO) test -count=1 -timeout 20m ./e2e/...

check-size: build run-size

run-size:
	cd dev && $(GO) run ./cmd/bench -check

## demo: build, start two development providers and the demo server on localhost
##       (make demo ISSUER=https://... CLIENT_ID=... uses that provider instead)
demo: build
	cd dev && $(GO) build -o ../$(BUILD)/demo ./cmd/demo
	@# exec: Ctrl-C goes to the demo, which stops what it started and exits 0.
	cd dev && exec ../$(BUILD)/demo $(if $(ISSUER),-issuer '$(ISSUER)') $(if $(CLIENT_ID),-client-id '$(CLIENT_ID)')

## bench: sizes, Go benchmarks, and the side-by-side with oidc-client-ts in Chromium
bench: chromium build
	cd dev && $(GO) run ./cmd/bench

## mutate: mutation testing of spa and silentrefresh (gremlins, pinned): each check turned off in
##         turn must make a test fail; prints the score per package. Not part of make test (slow).
GREMLINS := github.com/go-gremlins/gremlins/cmd/gremlins@v0.5.0
MUTATE_PKGS ?= ./spa ./silentrefresh
mutate:
	@for p in $(MUTATE_PKGS); do echo "=== gremlins $$p"; \
	  GOFLAGS=-count=1 $(GO) run $(GREMLINS) unleash --timeout-coefficient 10 $$p || exit 1; done

clean:
	rm -rf $(BUILD) static/oidc/oidc.wasm static/oidc/oidc.wasm.br static/oidc/oidc.wasm.gz static/oidc/wasm_exec.js static/oidc/oidc.js static/oidc/oidc-sw.js static/oidc/oidc.d.ts \
	  static/silent-refresh.html static/frontchannel-logout.html static/web/app.wasm static/index.html static/app.js static/app-worker.js \
	  static/app.css static/manifest.webmanifest static/wasm_exec.js

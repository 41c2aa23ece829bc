#!/usr/bin/env bash
# test-browser.sh runs the GOOS=js tests of web/ and wasm/ inside a headless
# browser, through the go test -exec runner dev/cmd/wasmbrowser (not node:
# the tests need fetch, Web Storage, iframes and message events).
#
#   dev/scripts/test-browser.sh                          # in Chromium
#   OIDCWASM_ENGINE=firefox dev/scripts/test-browser.sh  # in Firefox ESR (WebDriver BiDi)
#   OIDCWASM_ENGINE=webkit dev/scripts/test-browser.sh   # in WebKitGTK (WebKitWebDriver)
#   dev/scripts/test-browser.sh -run Fetch -v            # extra arguments go to go test
#
# It builds the runner into build/wasmbrowser-$OIDCWASM_ENGINE (one per engine,
# so the three layers can run at once), vets the packages for js/wasm
# (native go vet never sees their _js.go files) and fails when any test fails.
# The browsers are Debian's packages (`make browsers` installs them); see
# dev/cmd/wasmbrowser for the runner's own settings. -count=1: go test's
# cache does not know which engine ran a test.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

export OIDCWASM_ENGINE="${OIDCWASM_ENGINE:-chromium}"
mkdir -p build
runner="build/wasmbrowser-$OIDCWASM_ENGINE"
(cd dev && go build -o "../$runner" ./cmd/wasmbrowser)

export GOOS=js GOARCH=wasm
go vet ./web/... ./wasm/...
go test -count=1 -exec="$PWD/$runner" "$@" ./web/... ./wasm/...

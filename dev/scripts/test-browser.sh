#!/usr/bin/env bash
# test-browser.sh runs the GOOS=js tests of web/ and wasm/ inside headless
# Chromium, through the go test -exec runner dev/cmd/wasmbrowser (not node:
# the tests need fetch, Web Storage, iframes and message events).
#
#   dev/scripts/test-browser.sh                 # all browser tests
#   dev/scripts/test-browser.sh -run Fetch -v   # extra arguments go to go test
#
# It builds the runner into build/wasmbrowser, vets the packages for js/wasm
# (native go vet never sees their _js.go files) and fails when any test fails.
# Chromium: $OIDCWASM_CHROMIUM, else chromium from PATH (Debian's package at
# /usr/bin/chromium). See dev/cmd/wasmbrowser for the runner's own settings.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

chromium="${OIDCWASM_CHROMIUM:-}"
if [[ -z "$chromium" ]]; then
	for name in chromium chromium-browser google-chrome; do
		if chromium="$(command -v "$name")"; then
			break
		fi
		chromium=""
	done
fi
if [[ -z "$chromium" || ! -x "$chromium" ]]; then
	echo "test-browser.sh: Chromium not found; install it with: apt-get install -y chromium" >&2
	echo "                 (or point OIDCWASM_CHROMIUM at a Chromium or Chrome binary)" >&2
	exit 1
fi
export OIDCWASM_CHROMIUM="$chromium"

mkdir -p build
(cd dev && go build -o ../build/wasmbrowser ./cmd/wasmbrowser)

export GOOS=js GOARCH=wasm
go vet ./web/... ./wasm/...
go test -exec="$PWD/build/wasmbrowser" "$@" ./web/... ./wasm/...

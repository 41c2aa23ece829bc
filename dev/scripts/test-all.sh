#!/usr/bin/env bash
# test-all.sh is `make test`: it runs every test layer, keeps going when one
# fails, and ends with one line per layer and a last "N passed, N failed"
# line (N counts layers). It exits non-zero when any layer failed.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# OIDCWASM_LAYERS="vet typecheck" runs only those layers.
# Each browser layer has one line per engine (chromium, firefox, webkit).
engines=(chromium firefox webkit)
default="vet typecheck test-native"
for e in "${engines[@]}"; do default+=" test-browser-$e"; done
default+=" build"
for e in "${engines[@]}"; do default+=" run-e2e-$e"; done
default+=" run-size"
read -r -a layers <<<"${OIDCWASM_LAYERS:-$default}"
declare -A what=(
	[vet]="go vet, native and GOOS=js"
	[typecheck]="oidc.d.ts under tsc --strict"
	[test-native]="go test -race, root module and dev/"
	[test-browser]="GOOS=js tests of web/ and wasm/ in every engine"
	[build]="the bridge, the go-app demo, static/"
	[run-e2e]="end to end in every engine against the development providers"
	[run-size]="wasm size budgets"
	[test-browser-chromium]="GOOS=js tests of web/ and wasm/ in Chromium (DevTools protocol)"
	[test-browser-firefox]="GOOS=js tests of web/ and wasm/ in Firefox ESR (WebDriver BiDi)"
	[test-browser-webkit]="GOOS=js tests of web/ and wasm/ in WebKitGTK (WebKitWebDriver)"
	[run-e2e-chromium]="end to end in Chromium against the development providers"
	[run-e2e-firefox]="end to end in Firefox ESR against the development providers"
	[run-e2e-webkit]="end to end in WebKitGTK against the development providers"
)
passed=0
failed=0
failures=()
lines=()
for layer in "${layers[@]}"; do
	start=$SECONDS
	echo "=== layer $layer: ${what[$layer]:-}"
	if make --no-print-directory "$layer"; then
		result=passed
		passed=$((passed + 1))
	else
		result=FAILED
		failed=$((failed + 1))
		failures+=("$layer")
	fi
	lines+=("$(printf '%-21s %-6s %4ds  %s' "$layer" "$result" $((SECONDS - start)) "${what[$layer]:-}")")
done

echo
echo "=== make test summary"
printf '%s\n' "${lines[@]}"
if ((failed > 0)); then
	echo "failed layers: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
((failed == 0))

#!/usr/bin/env bash
# test-all.sh is `make test`: it runs every test layer, keeps going when one
# fails, and ends with one line per layer and a last "N passed, N failed"
# line (N counts layers). It exits non-zero when any layer failed.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# OIDCWASM_LAYERS="vet typecheck" runs only those layers. Layers joined by "+"
# run at the same time: the browser layers of the three engines do, since
# they mostly wait (on timers, tokens that expire, the browsers) and each
# has its own browser and ports; each still gets its own line, its output
# shown whole after the group ends.
engines=(chromium firefox webkit)
join() { local IFS=+; echo "$*"; }
default="vet typecheck test-native"
default+=" $(join "${engines[@]/#/test-browser-}")"
default+=" build"
default+=" $(join "${engines[@]/#/run-e2e-}")"
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
logs="build/layers"
mkdir -p "$logs"
record() { # layer, exit code, seconds
	local result=passed
	if [[ $2 == 0 ]]; then
		passed=$((passed + 1))
	else
		result=FAILED
		failed=$((failed + 1))
		failures+=("$1")
	fi
	lines+=("$(printf '%-21s %-6s %4ds  %s' "$1" "$result" "$3" "${what[$1]:-}")")
}
for group in "${layers[@]}"; do
	IFS=+ read -r -a members <<<"$group"
	if ((${#members[@]} == 1)); then
		layer=${members[0]}
		start=$SECONDS
		echo "=== layer $layer: ${what[$layer]:-}"
		make --no-print-directory "$layer"
		record "$layer" $? $((SECONDS - start))
		continue
	fi
	echo "=== layers ${members[*]}, at the same time (output follows when all are done)"
	pids=()
	for layer in "${members[@]}"; do
		(
			start=$SECONDS
			make --no-print-directory "$layer" >"$logs/$layer.log" 2>&1
			echo "$? $((SECONDS - start))" >"$logs/$layer.status"
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
	for layer in "${members[@]}"; do
		echo "=== layer $layer: ${what[$layer]:-}"
		cat "$logs/$layer.log"
		read -r code secs <"$logs/$layer.status"
		record "$layer" "$code" "$secs"
	done
done

echo
echo "=== make test summary"
printf '%s\n' "${lines[@]}"
if ((failed > 0)); then
	echo "failed layers: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
((failed == 0))

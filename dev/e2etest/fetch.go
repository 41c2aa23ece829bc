package e2etest

import "github.com/oidcwasm/oidcwasm/dev/demo"

// FetchResult is what a request from the page got back from a sample API
// or echo endpoint.
type FetchResult struct {
	Status int `json:"status"`
	// Challenge is the WWW-Authenticate header ("" when none).
	Challenge string           `json:"challenge"`
	Body      demo.APIResponse `json:"body"`
}

// Fetch calls oidc.fetch(input, init) in the page; input and init are JS
// expressions (init may be ""), for example MustJSON(url) or
// `new Request(...)`. A rejection fails the test.
func (tb *Tab) Fetch(input, init string) FetchResult {
	tb.T.Helper()
	return Eval[FetchResult](tb, fetchExpr("oidc.fetch", input, init))
}

// PlainFetch is Fetch through window.fetch: no library involved.
func (tb *Tab) PlainFetch(input, init string) FetchResult {
	tb.T.Helper()
	return Eval[FetchResult](tb, fetchExpr("fetch", input, init))
}

func fetchExpr(fn, input, init string) string {
	if init == "" {
		init = "undefined"
	}
	return `(async () => {
  const r = await ` + fn + `(` + input + `, ` + init + `);
  return { status: r.status, challenge: r.headers.get("WWW-Authenticate") || "", body: await r.json() };
})()`
}

package bench

import "embed"

// Pages are the benchmark pages: bridge.html (the oidcwasm bridge) and
// oct.html (oidc-client-ts), both html/template files that take the page's
// parameters as {{.}}, and bench.js, the harness they share.
//
//go:embed pages
var Pages embed.FS

package spa

// Token custody: where a config's tokens live (docs/DESIGN.md, "Token
// custody in a service worker").
const (
	// CustodyPage keeps the tokens in the page's module (the default).
	CustodyPage = "page"
	// CustodyWorker keeps access, refresh and per-API tokens and the PKCE
	// verifier in a service worker (oidc-sw.js), which adds the token to
	// the requests of the pages it controls; no page script can read them.
	CustodyWorker = "worker"
)

// Error codes of worker custody.
const (
	// CodeTokenInWorker: getAccessToken on a worker-custody config that
	// does not set exposeAccessToken.
	CodeTokenInWorker = "token_in_worker"
	// CodeWorkerUnavailable: a worker-custody config on a page that its
	// service worker does not control (first load before activation, a
	// forced reload, no service workers); no token is sent, and custody
	// never falls back to the page.
	CodeWorkerUnavailable = "worker_unavailable"
)

// WorkerUnavailable is the error of a call about a worker-custody config
// on a page its service worker does not control; every page module (the
// bridge's, web/goapp's) gives this one.
func WorkerUnavailable(configID string) error {
	return &Error{Code: CodeWorkerUnavailable, ConfigID: configID,
		Message: "keeps its tokens in the service worker (custody \"worker\"), which does not control this page (its first load, a forced reload, or a browser without service workers): nothing is sent with a token; reload the page normally once the worker is active"}
}

// WorkerCustody reports whether c keeps its tokens in the service worker.
func (c Config) WorkerCustody() bool { return c.Custody == CustodyWorker }

// validateCustody checks custody and exposeAccessToken, and refuses what
// worker custody does not do yet rather than doing it in the page:
// check-session (its iframe needs a document of the app). DPoP is done in
// the worker, with a key in its memory only, and front-channel logout
// there too (the logout page's BroadcastChannel reaches the worker).
func (c *Config) validateCustody() error {
	id := c.ConfigID
	switch c.Custody {
	case "", CustodyPage:
		if c.ExposeAccessToken {
			return configError(id, "exposeAccessToken", "applies only with custody \"worker\": with custody %q getAccessToken returns the token anyway", c.custodyName())
		}
		return nil
	case CustodyWorker:
	default:
		return configError(id, "custody", "%q is not one of page, worker", c.Custody)
	}
	if c.Storage != StorageMemory {
		return configError(id, "storage", "%q cannot hold tokens with custody \"worker\": they live in the worker's memory only (leave storage out)", c.Storage)
	}
	if c.CheckSession {
		return configError(id, "checkSession", "is not supported with custody \"worker\" yet")
	}
	return nil
}

// custodyName is Custody with the default spelled out.
func (c *Config) custodyName() string {
	if c.Custody == "" {
		return CustodyPage
	}
	return c.Custody
}

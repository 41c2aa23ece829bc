// Package e2etest is the end-to-end harness of oidcwasm: it starts the demo
// (package demo: two development providers, the app and API servers) on free
// localhost ports together with one headless browser, and drives pages in
// fresh browser contexts through dev/internal/engine: Chromium (DevTools
// protocol), Firefox (WebDriver BiDi) or WebKit (classic WebDriver), as
// $OIDCWASM_ENGINE says. The bridge tests in dev/e2e use it, and so can any
// other browser test: the same test code drives all three engines.
//
// Start it once per test binary:
//
//	var env *e2etest.Env
//
//	func TestMain(m *testing.M) {
//		e, err := e2etest.Start(e2etest.Options{})
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		env = e
//		code := m.Run()
//		e.Close()
//		os.Exit(code)
//	}
//
// and give each test its own Tab (own cookies and storage):
//
//	tab := env.NewTab(t)
//	tab.OpenTestPage()                        // /e2e/: oidc.js + record.js, oidc.ready settled
//	tab.Configure()                           // the configs "a" and "b" (Env.Configs)
//	tab.SignIn("a", "alice", "alice")         // authorize, provider, callback, configure, checkAuth
//	tok := e2etest.Eval[string](tab, `oidc.getAccessToken("a")`)
//	err := tab.Reject(`oidc.getAccessToken("nope")`) // *JSError{Name, Code, ConfigID, Field, Message}
//	events := tab.Events()                    // recorded by the page since it loaded
//
// Both providers sign "alice" in without the login form unless
// Options.AutoLogin or Env.SetAutoLogin say otherwise. Env.A and Env.B are the
// providers (Counts, FailNextToken, Delay, EndSessions, ...); Env.Demo has
// the sample APIs' request log (Requests) and RejectNext. Tests that read
// counts or the request log must not run in parallel with others.
//
// The engine: Options.Engine, else $OIDCWASM_ENGINE (chromium, firefox,
// webkit), else chromium; the binary: Options.Browser, else
// $OIDCWASM_CHROMIUM, $OIDCWASM_FIREFOX or $OIDCWASM_WEBKITDRIVER, else
// Debian's package (`make browsers`). What an engine's protocol lacks (the
// console and navigation records, over classic WebDriver) skips the test
// that needs it through Env.Require, naming the capability; README.md's
// browser table lists those. OIDCWASM_E2E_VERBOSE=1 copies each tab's
// console to stderr when the tab closes.
package e2etest

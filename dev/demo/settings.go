package demo

import (
	"encoding/json"
	"fmt"
)

// Settings is demo.json: what the demo pages read at run time with fetch.
// The demo server serves it for the ports it really uses; static/demo.json
// in the repository is the same document for the default ports, a template
// for static hosting.
type Settings struct {
	// Providers describe the configs for people: a name, the issuer and
	// the demo users, in the order of the configs.
	Providers []ProviderInfo `json:"providers"`
	// Bridge holds the configs of the plain HTML+JS page (/bridge/).
	Bridge AppSettings `json:"bridge"`
	// GoApp holds the configs of the go-app demo (/).
	GoApp AppSettings `json:"goapp"`
	// Requests are the URLs the demo pages call through oidc.fetch: the two
	// sample APIs, an unlisted URL and the look-alikes of a secure route.
	Requests []RequestTarget `json:"requests"`
}

// ProviderInfo names one config's provider.
type ProviderInfo struct {
	ConfigID string `json:"configId"`
	Name     string `json:"name"`
	Issuer   string `json:"issuer"`
	// Users lists the demo accounts as "user/password", for the bundled
	// providers only.
	Users []string `json:"users,omitempty"`
	// SignOutURL is the bundled provider's own sign-out page: signing out
	// there signs every tab of the demo out (front-channel logout).
	SignOutURL string `json:"signOutUrl,omitempty"`
}

// AppSettings are one demo page's configs, ready for oidc.configure.
type AppSettings struct {
	Configs []ClientConfig `json:"configs"`
}

// ClientConfig is a config object of the JS bridge (oidc.d.ts OidcConfig).
// It holds config fields only, since configure rejects unknown fields.
type ClientConfig struct {
	ConfigID              string `json:"configId"`
	Authority             string `json:"authority"`
	ClientID              string `json:"clientId"`
	RedirectURL           string `json:"redirectUrl"`
	PostLogoutRedirectURI string `json:"postLogoutRedirectUri,omitempty"`
	Scope                 string `json:"scope"`
	SecureRoutes          []any  `json:"secureRoutes"` // URL strings and RouteEntry objects
	UseRefreshToken       bool   `json:"useRefreshToken"`
	// DPoP binds the config's tokens to a key of the browser (RFC 9449).
	DPoP bool `json:"dpop,omitempty"`
	// FrontchannelLogoutURL is the app's front-channel logout page, for
	// the bundled providers (OpenID Connect Front-Channel Logout 1.0).
	FrontchannelLogoutURL string `json:"frontchannelLogoutUrl,omitempty"`
}

// RouteEntry is a secureRoutes entry object (oidc.d.ts OidcRouteEntry).
type RouteEntry struct {
	URL      string `json:"url"`
	Resource string `json:"resource,omitempty"`
	Scope    string `json:"scope,omitempty"`
}

// RequestTarget is a URL the demo calls, and whose token it should carry.
type RequestTarget struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	URL   string `json:"url"`
	// ConfigID is the config whose access token the request must carry;
	// "" means none: the URL is not a secure route.
	ConfigID string `json:"configId,omitempty"`
	Note     string `json:"note"`
}

// Request target IDs.
const (
	TargetAPIA      = "api-a"
	TargetAPIB      = "api-b"
	TargetAPIC      = "api-c"
	TargetUnlisted  = "unlisted"
	TargetSibling   = "sibling-path"
	TargetIPHost    = "ip-host"
	TargetOtherPort = "other-port"
)

// origins are the base URLs the settings are built from.
type origins struct {
	app, api             string // http://localhost:PORT
	appIP                string // http://127.0.0.1:APPPORT
	providerA, providerB string // issuers; providerB "" with an external provider
	clientA              string
	users                []string
}

func newSettings(o origins) Settings {
	scopeA, refreshA := "openid profile email offline_access "+APICScope, true
	if o.providerB == "" { // external provider: do not assume refresh tokens
		scopeA, refreshA = "openid profile email", false
	}
	routeA := o.app + "/api"
	routeB := o.api + "/api/b"
	routesA := []any{routeA}
	if o.providerB != "" { // API C, with its own audience, trusts the bundled provider A only
		routesA = append(routesA, RouteEntry{URL: o.api + APICPath, Resource: o.api + APICPath, Scope: APICScope})
	}
	configs := func(page string) AppSettings {
		a := ClientConfig{ConfigID: "a", Authority: o.providerA, ClientID: o.clientA,
			RedirectURL: o.app + page, PostLogoutRedirectURI: o.app + page, Scope: scopeA,
			SecureRoutes: routesA, UseRefreshToken: refreshA,
			// The bundled provider A and the sample APIs check DPoP proofs:
			// a's tokens are bound to a key the page cannot read.
			DPoP: o.providerB != ""}
		if o.providerB != "" {
			a.FrontchannelLogoutURL = o.app + FrontchannelLogoutPath
		}
		if o.providerB == "" {
			return AppSettings{Configs: []ClientConfig{a}}
		}
		// B renews through the hidden iframe (no refresh token), so the demo
		// shows both renewal methods.
		b := ClientConfig{ConfigID: "b", Authority: o.providerB, ClientID: ClientB,
			RedirectURL: o.app + page, PostLogoutRedirectURI: o.app + page, Scope: "openid profile email",
			SecureRoutes: []any{routeB}, FrontchannelLogoutURL: o.app + FrontchannelLogoutPath}
		return AppSettings{Configs: []ClientConfig{a, b}}
	}
	s := Settings{
		Providers: []ProviderInfo{{ConfigID: "a", Name: "Provider A", Issuer: o.providerA, Users: o.users, SignOutURL: o.providerA + "/signout"}},
		Bridge:    configs("/bridge/"),
		GoApp:     configs("/"),
	}
	if o.providerB == "" {
		s.Providers[0].Name, s.Providers[0].SignOutURL = "External provider", ""
	} else {
		s.Providers = append(s.Providers, ProviderInfo{ConfigID: "b", Name: "Provider B", Issuer: o.providerB, Users: o.users,
			SignOutURL: o.providerB + "/signout"})
	}
	s.Requests = append(s.Requests, RequestTarget{ID: TargetAPIA, Label: "API A", URL: o.app + "/api/a/", ConfigID: "a",
		Note: fmt.Sprintf("same origin as the app; secure route %s of config a", routeA)})
	if o.providerB != "" {
		s.Requests = append(s.Requests, RequestTarget{ID: TargetAPIB, Label: "API B", URL: o.api + "/api/b/", ConfigID: "b",
			Note: fmt.Sprintf("another origin (CORS); secure route %s of config b", routeB)},
			RequestTarget{ID: TargetAPIC, Label: "API C", URL: o.api + APICPath + "/", ConfigID: "a",
				Note: fmt.Sprintf("its own audience: config a's token for resource %s, scope %s (RFC 8707)", o.api+APICPath, APICScope)})
	}
	s.Requests = append(s.Requests,
		RequestTarget{ID: TargetUnlisted, Label: "Unlisted URL", URL: o.app + "/echo",
			Note: "same origin, but no config lists it"},
		RequestTarget{ID: TargetSibling, Label: "Sibling path /apix", URL: o.app + "/apix/",
			Note: "starts with the text of " + routeA + " but is another path segment"},
		RequestTarget{ID: TargetIPHost, Label: "Same server as 127.0.0.1", URL: o.appIP + "/api/a/",
			Note: "the same server and path, reached under another host name"},
		RequestTarget{ID: TargetOtherPort, Label: "Same host, other port", URL: o.api + "/api/a/",
			Note: "the path of API A on another port"},
	)
	return s
}

// Target returns the request target with the given ID.
func (s Settings) Target(id string) (RequestTarget, bool) {
	for _, t := range s.Requests {
		if t.ID == id {
			return t, true
		}
	}
	return RequestTarget{}, false
}

// JSON is demo.json as served: indented, with a final newline.
func (s Settings) JSON() []byte {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(err) // plain strings and slices only
	}
	return append(b, '\n')
}

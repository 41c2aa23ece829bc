package main

import (
	"encoding/json"
	"fmt"

	"github.com/oidcwasm/oidcwasm/spa"
)

// settings is the part of demo.json the go-app demo reads (see the demo
// server, dev/demo.Settings): the providers for people, the go-app page's
// configs and the URLs to call.
type settings struct {
	Providers []provider `json:"providers"`
	GoApp     struct {
		Configs []clientConfig `json:"configs"`
	} `json:"goapp"`
	Requests []requestTarget `json:"requests"`
}

type provider struct {
	ConfigID string   `json:"configId"`
	Name     string   `json:"name"`
	Issuer   string   `json:"issuer"`
	Users    []string `json:"users"`
	// SignOutURL is the provider's own sign-out page (bundled providers).
	SignOutURL string `json:"signOutUrl"`
}

// clientConfig is a config as the JS bridge spells it.
type clientConfig struct {
	ConfigID              string       `json:"configId"`
	Authority             string       `json:"authority"`
	ClientID              string       `json:"clientId"`
	RedirectURL           string       `json:"redirectUrl"`
	PostLogoutRedirectURI string       `json:"postLogoutRedirectUri"`
	Scope                 string       `json:"scope"`
	SecureRoutes          []routeEntry `json:"secureRoutes"`
	UseRefreshToken       bool         `json:"useRefreshToken"`
	DPoP                  bool         `json:"dpop"`
	FrontchannelLogoutURL string       `json:"frontchannelLogoutUrl"`
}

// routeEntry is a secureRoutes entry: a URL string, or an object naming the
// token the route gets (the per-API token of a resource).
type routeEntry spa.Route

func (r *routeEntry) UnmarshalJSON(b []byte) error {
	var url string
	if json.Unmarshal(b, &url) == nil {
		*r = routeEntry{URL: url}
		return nil
	}
	var o struct {
		URL      string `json:"url"`
		Resource string `json:"resource"`
		Scope    string `json:"scope"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*r = routeEntry{URL: o.URL, Resource: o.Resource, Scope: o.Scope}
	return nil
}

type requestTarget struct {
	ID       string `json:"id"`
	Label    string `json:"label"`
	URL      string `json:"url"`
	ConfigID string `json:"configId"` // whose token it must carry; "" none
	Note     string `json:"note"`
}

// parseSettings reads demo.json.
func parseSettings(b []byte) (*settings, error) {
	var s settings
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("demo.json: %w", err)
	}
	if len(s.GoApp.Configs) == 0 {
		return nil, fmt.Errorf("demo.json: goapp.configs is empty")
	}
	return &s, nil
}

// configs are the go-app page's configs for the Manager.
func (s *settings) configs() []spa.Config {
	out := make([]spa.Config, len(s.GoApp.Configs))
	for i, c := range s.GoApp.Configs {
		routes := make([]spa.Route, len(c.SecureRoutes))
		for j, r := range c.SecureRoutes {
			routes[j] = spa.Route(r)
		}
		out[i] = spa.Config{ConfigID: c.ConfigID, Authority: c.Authority, ClientID: c.ClientID,
			RedirectURL: c.RedirectURL, PostLogoutRedirectURI: c.PostLogoutRedirectURI, Scope: c.Scope,
			SecureRoutes: routes, UseRefreshToken: c.UseRefreshToken, DPoP: c.DPoP, FrontchannelLogoutURL: c.FrontchannelLogoutURL}
	}
	return out
}

func (s *settings) provider(configID string) provider {
	for _, p := range s.Providers {
		if p.ConfigID == configID {
			return p
		}
	}
	return provider{ConfigID: configID, Name: "Config " + configID}
}

func (s *settings) config(configID string) clientConfig {
	for _, c := range s.GoApp.Configs {
		if c.ConfigID == configID {
			return c
		}
	}
	return clientConfig{ConfigID: configID}
}

// workerConfig is the demo's config that the worker mode keeps in the
// service worker (the bridge demo's choice too: static/bridge/bridge.js).
const workerConfig = "b"

// withCustody is configs with workerConfig in custody (page or worker).
func withCustody(configs []spa.Config, custody string) []spa.Config {
	for i := range configs {
		if configs[i].ConfigID == workerConfig && custody == spa.CustodyWorker {
			configs[i].Custody = spa.CustodyWorker
			configs[i].Storage, configs[i].CheckSession = "", false // its tokens live in the worker's memory
		}
	}
	return configs
}

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

const defaultPort = 5556

// fileConfig is the JSON config file. Durations are Go duration strings.
type fileConfig struct {
	Port                 *int           `json:"port"`
	Host                 string         `json:"host"`
	Issuer               string         `json:"issuer"`
	Clients              []devop.Client `json:"clients"`
	Users                []devop.User   `json:"users"`
	AccessTokenLifetime  string         `json:"access_token_lifetime"`
	IDTokenLifetime      string         `json:"id_token_lifetime"`
	RefreshTokenLifetime string         `json:"refresh_token_lifetime"`
	KeyGracePeriod       string         `json:"key_grace_period"`
	AutoLogin            string         `json:"auto_login"`
	// RFC 9126 §5 and the request_uri lifetime (§2.2).
	RequirePushedAuthorizationRequests bool   `json:"require_pushed_authorization_requests"`
	PushedRequestLifetime              string `json:"pushed_request_lifetime"`
	// RFC 9449 §4.3: how far a DPoP proof's iat may be off.
	DPoPProofWindow string `json:"dpop_proof_window"`
}

// clientSpecs collects the raw -client values; they are parsed after all
// flags so errors can name the flag plainly.
type clientSpecs []string

func (c *clientSpecs) String() string     { return strings.Join(*c, " ") }
func (c *clientSpecs) Set(v string) error { *c = append(*c, v); return nil }

// parseArgs turns the command line (and the -config file it names) into a
// devop.Config. Errors name the flag or file field at fault.
func parseArgs(args []string) (devop.Config, error) {
	fs := flag.NewFlagSet("devop", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	port := fs.Int("port", defaultPort, "")
	host := fs.String("host", "127.0.0.1", "")
	issuer := fs.String("issuer", "", "")
	configFile := fs.String("config", "", "")
	atl := fs.Duration("access-token-lifetime", 0, "")
	itl := fs.Duration("id-token-lifetime", 0, "")
	rtl := fs.Duration("refresh-token-lifetime", 0, "")
	grace := fs.Duration("key-grace-period", 0, "")
	autoLogin := fs.String("auto-login", "", "")
	requirePAR := fs.Bool("require-par", false, "")
	parLifetime := fs.Duration("par-lifetime", 0, "")
	dpopWindow := fs.Duration("dpop-proof-window", 0, "")
	var specs clientSpecs
	fs.Var(&specs, "client", "")
	if err := fs.Parse(args); err != nil {
		return devop.Config{}, err
	}
	if fs.NArg() > 0 {
		return devop.Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var cfg devop.Config
	p, h := *port, *host
	if *configFile != "" {
		fc, err := readConfigFile(*configFile)
		if err != nil {
			return devop.Config{}, fmt.Errorf("-config %s: %w", *configFile, err)
		}
		if cfg, err = fc.toConfig(); err != nil {
			return devop.Config{}, fmt.Errorf("-config %s: %w", *configFile, err)
		}
		if fc.Port != nil && !set["port"] {
			p = *fc.Port
		}
		if fc.Host != "" && !set["host"] {
			h = fc.Host
		}
	}
	if p < 0 || p > 65535 {
		return devop.Config{}, fmt.Errorf("-port %d: want 0 to 65535", p)
	}
	cfg.Addr = net.JoinHostPort(h, strconv.Itoa(p))
	if err := devop.CheckLoopbackAddr(cfg.Addr); err != nil {
		return devop.Config{}, fmt.Errorf("-host %s: not a loopback address (use 127.0.0.1, ::1 or localhost)", h)
	}
	if set["issuer"] {
		if err := devop.CheckIssuer(*issuer); err != nil {
			return devop.Config{}, fmt.Errorf("-issuer %q: %w", *issuer, err)
		}
		cfg.Issuer = *issuer
	}
	for _, d := range []struct {
		name string
		v    time.Duration
		dst  *time.Duration
	}{
		{"access-token-lifetime", *atl, &cfg.AccessTokenLifetime},
		{"id-token-lifetime", *itl, &cfg.IDTokenLifetime},
		{"refresh-token-lifetime", *rtl, &cfg.RefreshTokenLifetime},
		{"key-grace-period", *grace, &cfg.KeyGracePeriod},
		{"par-lifetime", *parLifetime, &cfg.PushedRequestLifetime},
		{"dpop-proof-window", *dpopWindow, &cfg.DPoPProofWindow},
	} {
		if !set[d.name] {
			continue
		}
		if d.v <= 0 {
			return devop.Config{}, fmt.Errorf("-%s %v: must be positive", d.name, d.v)
		}
		*d.dst = d.v
	}
	if set["auto-login"] {
		cfg.AutoLogin = *autoLogin
	}
	if set["require-par"] {
		cfg.RequirePushedAuthorizationRequests = *requirePAR
	}
	for _, spec := range specs {
		c, err := parseClient(spec)
		if err != nil {
			return devop.Config{}, fmt.Errorf("-client %w", err)
		}
		cfg.Clients = append(cfg.Clients, c)
	}
	if len(cfg.Clients) == 0 {
		cfg.Clients = []devop.Client{demoClient}
	}
	return cfg, nil
}

// demoClient is registered when no client is given.
var demoClient = devop.Client{
	ID:                     "demo",
	RedirectURIs:           []string{"http://localhost:8080/", "http://localhost:8080/silent-refresh.html"},
	PostLogoutRedirectURIs: []string{"http://localhost:8080/"},
}

// parseClient reads 'id=spa,redirect=URL,postlogout=URL,origin=ORIGIN,secret=S,frontchannel=URL'.
// Values cannot contain commas.
func parseClient(spec string) (devop.Client, error) {
	var c devop.Client
	for part := range strings.SplitSeq(spec, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return c, fmt.Errorf("%q: want key=value pairs separated by commas", part)
		}
		switch key {
		case "id":
			if c.ID != "" {
				return c, fmt.Errorf("id given twice in %q", spec)
			}
			c.ID = value
		case "redirect":
			c.RedirectURIs = append(c.RedirectURIs, value)
		case "postlogout":
			c.PostLogoutRedirectURIs = append(c.PostLogoutRedirectURIs, value)
		case "origin":
			c.Origins = append(c.Origins, value)
		case "secret":
			c.Secret = value
		case "frontchannel": // with iss and sid: a SPA cannot tell the session without them
			c.FrontchannelLogoutURI, c.FrontchannelLogoutSessionRequired = value, true
		default:
			return c, fmt.Errorf("unknown key %q (want id, redirect, postlogout, origin, secret or frontchannel)", key)
		}
	}
	return c, c.Validate()
}

// readConfigFile reads the JSON config, refusing unknown fields.
func readConfigFile(name string) (fileConfig, error) {
	var fc fileConfig
	data, err := os.ReadFile(name)
	if err != nil {
		return fc, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := bytes.Count(data[:se.Offset], []byte("\n")) + 1
			return fc, fmt.Errorf("line %d: %w", line, err)
		}
		return fc, err
	}
	return fc, nil
}

// toConfig converts and checks the file's settings; errors name the field.
func (fc fileConfig) toConfig() (devop.Config, error) {
	cfg := devop.Config{Issuer: fc.Issuer, Clients: fc.Clients, Users: fc.Users, AutoLogin: fc.AutoLogin,
		RequirePushedAuthorizationRequests: fc.RequirePushedAuthorizationRequests}
	if fc.Port != nil && (*fc.Port < 0 || *fc.Port > 65535) {
		return cfg, fmt.Errorf("port %d: want 0 to 65535", *fc.Port)
	}
	if fc.Host != "" {
		if err := devop.CheckLoopbackAddr(net.JoinHostPort(fc.Host, "0")); err != nil {
			return cfg, fmt.Errorf("host %s: not a loopback address", fc.Host)
		}
	}
	if fc.Issuer != "" {
		if err := devop.CheckIssuer(fc.Issuer); err != nil {
			return cfg, fmt.Errorf("issuer %q: %w", fc.Issuer, err)
		}
	}
	for i, c := range fc.Clients {
		if err := c.Validate(); err != nil {
			return cfg, fmt.Errorf("clients[%d]: %w", i, err)
		}
	}
	for _, d := range []struct {
		name, v string
		dst     *time.Duration
	}{
		{"access_token_lifetime", fc.AccessTokenLifetime, &cfg.AccessTokenLifetime},
		{"id_token_lifetime", fc.IDTokenLifetime, &cfg.IDTokenLifetime},
		{"refresh_token_lifetime", fc.RefreshTokenLifetime, &cfg.RefreshTokenLifetime},
		{"key_grace_period", fc.KeyGracePeriod, &cfg.KeyGracePeriod},
		{"pushed_request_lifetime", fc.PushedRequestLifetime, &cfg.PushedRequestLifetime},
		{"dpop_proof_window", fc.DPoPProofWindow, &cfg.DPoPProofWindow},
	} {
		if d.v == "" {
			continue
		}
		v, err := time.ParseDuration(d.v)
		if err != nil || v <= 0 {
			return cfg, fmt.Errorf("%s %q: want a positive Go duration such as 60s", d.name, d.v)
		}
		*d.dst = v
	}
	return cfg, nil
}

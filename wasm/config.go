package main

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
)

// opaque stands for a JS value that is neither JSON-like nor null: a URL
// object, a function, a Date... Config fields never accept one.
type opaque struct{ kind string }

// parseConfigs turns the argument of oidc.configure (one config object or an
// array of them, as decoded by fromJS) into spa configs. Every field is
// checked for its JS type here; spa checks the values. Unknown fields are
// rejected so that a typo (clientID for clientId) is not silently ignored.
func parseConfigs(v any) ([]spa.Config, error) {
	var items []any
	switch v := v.(type) {
	case map[string]any:
		items = []any{v}
	case []any:
		items = v
	default:
		return nil, &spa.Error{Code: spa.CodeInvalidConfig, Field: "configs", Message: "configure takes a config object or an array of them, not " + jsType(v)}
	}
	out := make([]spa.Config, 0, len(items))
	for i, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			return nil, &spa.Error{Code: spa.CodeInvalidConfig, Field: fmt.Sprintf("configs[%d]", i), Message: "is " + jsType(it) + ", not a config object"}
		}
		c, err := parseConfig(obj)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// fieldParser reads one JS field into c.
type fieldParser func(p *fieldReader, c *spa.Config)

var configFields = map[string]fieldParser{
	"configId":              func(p *fieldReader, c *spa.Config) { c.ConfigID = p.str() },
	"authority":             func(p *fieldReader, c *spa.Config) { c.Authority = p.str() },
	"clientId":              func(p *fieldReader, c *spa.Config) { c.ClientID = p.str() },
	"redirectUrl":           func(p *fieldReader, c *spa.Config) { c.RedirectURL = p.str() },
	"postLogoutRedirectUri": func(p *fieldReader, c *spa.Config) { c.PostLogoutRedirectURI = p.str() },
	"scope":                 func(p *fieldReader, c *spa.Config) { c.Scope = p.str() },
	"responseType":          func(p *fieldReader, c *spa.Config) { c.ResponseType = p.str() },
	"secureRoutes":          func(p *fieldReader, c *spa.Config) { c.SecureRoutes = p.routes() },
	"useRefreshToken":       func(p *fieldReader, c *spa.Config) { c.UseRefreshToken = p.boolean() },
	"silentRenew":           func(p *fieldReader, c *spa.Config) { c.DisableSilentRenew = !p.boolean() },
	"silentRenewUrl":        func(p *fieldReader, c *spa.Config) { c.SilentRenewURL = p.str() },
	"popupRedirectUrl":      func(p *fieldReader, c *spa.Config) { c.PopupRedirectURL = p.str() },
	"silentRenewTimeoutInSeconds": func(p *fieldReader, c *spa.Config) {
		if s := p.number(); s <= 0 && p.err == nil {
			p.fail("must be a positive number of seconds")
		} else {
			c.SilentRenewTimeout = seconds(s)
		}
	},
	"timeoutFactor": func(p *fieldReader, c *spa.Config) {
		if f := p.number(); f <= 0 && p.err == nil {
			p.fail("%v is outside (0, 1)", f)
		} else {
			c.TimeoutFactor = f
		}
	},
	"storage": func(p *fieldReader, c *spa.Config) { c.Storage = p.str() },
	"clockSkewInSeconds": func(p *fieldReader, c *spa.Config) {
		s := p.number()
		switch {
		case p.err != nil:
		case s < 0:
			p.fail("must not be negative")
		case s == 0:
			c.ClockSkew = spa.NoClockSkew // Go's zero value means the default, JS 0 means none
		default:
			c.ClockSkew = seconds(s)
		}
	},
	"autoUserInfo":                    func(p *fieldReader, c *spa.Config) { c.DisableAutoUserInfo = !p.boolean() },
	"customParamsAuthRequest":         func(p *fieldReader, c *spa.Config) { c.CustomParamsAuthRequest = p.params() },
	"customParamsRefreshTokenRequest": func(p *fieldReader, c *spa.Config) { c.CustomParamsRefreshTokenRequest = p.params() },
	"customParamsEndSessionRequest":   func(p *fieldReader, c *spa.Config) { c.CustomParamsEndSessionRequest = p.params() },
	"dpop":                            func(p *fieldReader, c *spa.Config) { c.DPoP = p.boolean() },
	"usePushedAuthorisationRequests":  func(p *fieldReader, c *spa.Config) { c.UsePushedAuthorisationRequests = p.boolean() },
	"frontchannelLogoutUrl":           func(p *fieldReader, c *spa.Config) { c.FrontchannelLogoutURL = p.str() },
	"checkSession":                    func(p *fieldReader, c *spa.Config) { c.CheckSession = p.boolean() },
	"custody":                         func(p *fieldReader, c *spa.Config) { c.Custody = p.str() },
	"exposeAccessToken":               func(p *fieldReader, c *spa.Config) { c.ExposeAccessToken = p.boolean() },
	"checkSessionIntervalInSeconds": func(p *fieldReader, c *spa.Config) {
		if s := p.number(); s <= 0 && p.err == nil {
			p.fail("must be a positive number of seconds")
		} else {
			c.CheckSessionInterval = seconds(s)
		}
	},
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func parseConfig(obj map[string]any) (spa.Config, error) {
	var c spa.Config
	id, _ := obj["configId"].(string)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := obj[k]
		parse, ok := configFields[k]
		if !ok {
			return c, &spa.Error{Code: spa.CodeInvalidConfig, ConfigID: id, Field: k, Message: "is not a config field (see oidc.d.ts for the names)"}
		}
		if v == nil { // undefined or null: the default
			continue
		}
		p := &fieldReader{configID: id, field: k, v: v}
		parse(p, &c)
		if p.err != nil {
			return c, p.err
		}
	}
	return c, nil
}

// fieldReader reads one field's value with its expected JS type.
type fieldReader struct {
	configID, field string
	v               any
	err             error
}

func (p *fieldReader) fail(format string, args ...any) {
	if p.err == nil {
		p.err = &spa.Error{Code: spa.CodeInvalidConfig, ConfigID: p.configID, Field: p.field, Message: fmt.Sprintf(format, args...)}
	}
}

func (p *fieldReader) str() string {
	s, ok := p.v.(string)
	if !ok {
		p.fail("must be a string, not %s", jsType(p.v))
	}
	return s
}

func (p *fieldReader) boolean() bool {
	b, ok := p.v.(bool)
	if !ok {
		p.fail("must be true or false, not %s", jsType(p.v))
	}
	return b
}

func (p *fieldReader) number() float64 {
	f, ok := p.v.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		p.fail("must be a finite number, not %s", jsType(p.v))
		return 0
	}
	return f
}

// routeFields are the members of a secureRoutes entry object.
var routeFields = map[string]func(p *fieldReader, r *spa.Route){
	"url":             func(p *fieldReader, r *spa.Route) { r.URL = p.str() },
	"methods":         func(p *fieldReader, r *spa.Route) { r.Methods = p.strings("method names") },
	"followRedirects": func(p *fieldReader, r *spa.Route) { r.FollowRedirects = p.boolean() },
	"resource":        func(p *fieldReader, r *spa.Route) { r.Resource = p.str() },
	"scope":           func(p *fieldReader, r *spa.Route) { r.Scope = p.str() },
	"tokenParams":     func(p *fieldReader, r *spa.Route) { r.TokenParams = p.params() },
	"anonymous":       func(p *fieldReader, r *spa.Route) { r.Anonymous = p.boolean() },
}

// routeFieldNames lists routeFields for messages.
const routeFieldNames = "url, methods, resource, scope, tokenParams, anonymous, followRedirects"

// routes reads secureRoutes: an array of URL strings or entry objects.
func (p *fieldReader) routes() []spa.Route {
	a, ok := p.v.([]any)
	if !ok {
		p.fail("must be an array of URL strings or route objects, not %s", jsType(p.v))
		return nil
	}
	out := make([]spa.Route, len(a))
	field := p.field
	for i, x := range a {
		p.field = fmt.Sprintf("%s[%d]", field, i)
		switch x := x.(type) {
		case string:
			out[i].URL = x
		case map[string]any:
			if _, ok := x["url"].(string); !ok {
				p.field += ".url"
				p.fail("is required: the route's URL, a string")
				return nil
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			entry := p.field
			for _, k := range keys {
				p.field = entry + "." + k
				parse, ok := routeFields[k]
				switch {
				case !ok:
					p.fail("is not a route field (%s)", routeFieldNames)
				case x[k] != nil:
					q := &fieldReader{configID: p.configID, field: p.field, v: x[k]}
					parse(q, &out[i])
					p.err = q.err
				}
				if p.err != nil {
					return nil
				}
			}
		default:
			p.fail("must be a URL string or a route object {%s}, not %s", routeFieldNames, jsType(x))
			return nil
		}
	}
	p.field = field
	return out
}

func (p *fieldReader) strings(what string) []string {
	a, ok := p.v.([]any)
	if !ok {
		p.fail("must be an array of %s, not %s", what, jsType(p.v))
		return nil
	}
	out := make([]string, len(a))
	for i, x := range a {
		s, ok := x.(string)
		if !ok {
			p.field = fmt.Sprintf("%s[%d]", p.field, i)
			p.fail("must be a string, not %s", jsType(x))
			return nil
		}
		out[i] = s
	}
	return out
}

// params reads custom parameters: an object of strings, numbers or booleans.
func (p *fieldReader) params() map[string]string {
	obj, ok := p.v.(map[string]any)
	if !ok {
		p.fail("must be an object of parameters, not %s", jsType(p.v))
		return nil
	}
	return paramsOf(obj, func(k string, v any) {
		p.field += "." + k
		p.fail("must be a string, number or boolean, not %s", jsType(v))
	})
}

// paramsOf converts an object of strings, numbers and booleans to query
// parameters; bad is called for the first other value.
func paramsOf(obj map[string]any, bad func(k string, v any)) map[string]string {
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		switch v := v.(type) {
		case string:
			out[k] = v
		case bool:
			out[k] = strconv.FormatBool(v)
		case float64:
			out[k] = strconv.FormatFloat(v, 'f', -1, 64)
		case nil:
		default:
			bad(k, v)
			return nil
		}
	}
	return out
}

// jsType names a decoded JS value's type for messages.
func jsType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case opaque:
		return "a " + v.kind
	}
	return fmt.Sprintf("%T", v)
}

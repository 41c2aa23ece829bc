package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/spa"
	"github.com/oidcwasm/oidcwasm/web"
)

func jsonOf(v js.Value) string {
	return js.Global().Get("JSON").Call("stringify", v).String()
}

func TestPromiseResolvesWithResultConvertedToJS(t *testing.T) {
	tests := []struct {
		name   string
		result any
		want   string // JSON.stringify of the resolved value
	}{
		{"Nil", nil, "null"},
		{"String", "héllo", `"héllo"`},
		{"Bool", true, "true"},
		{"Int", 42, "42"},
		{"Float", 2.5, "2.5"},
		{"Map", map[string]any{"configId": "a", "isAuthenticated": false, "n": 1}, `{"configId":"a","isAuthenticated":false,"n":1}`},
		{"Slice", []any{"x", 1, nil, []any{true}, map[string]any{"k": "v"}}, `["x",1,null,[true],{"k":"v"}]`},
		{"JSValue", js.Global().Get("Object").Call("fromEntries", []any{[]any{"k", "v"}}), `{"k":"v"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := web.Promise(func(ctx context.Context) (any, error) { return tt.result, nil })
			v, err := web.Await(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			// Compare as JSON values: object keys come in map order.
			var got, want any
			if err := json.Unmarshal([]byte(jsonOf(v)), &got); err != nil {
				t.Fatal(err)
			}
			json.Unmarshal([]byte(tt.want), &want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("resolved with %s, want %s", jsonOf(v), tt.want)
			}
		})
	}
}

func TestPromiseRunsFnWithoutBlockingTheCaller(t *testing.T) {
	release := make(chan struct{})
	p := web.Promise(func(ctx context.Context) (any, error) {
		<-release // blocks: only legal because fn runs in its own goroutine
		return "done", nil
	})
	if p.Get("then").Type() != js.TypeFunction {
		t.Fatal("Promise did not return a thenable")
	}
	close(release)
	v, err := web.Await(context.Background(), p)
	if err != nil || v.String() != "done" {
		t.Fatalf("Await = %v, %v", v, err)
	}
}

// rejection awaits p and returns the reason it rejected with.
func rejection(t *testing.T, p js.Value) js.Value {
	t.Helper()
	v, err := web.Await(context.Background(), p)
	var r *web.Rejection
	if !errors.As(err, &r) {
		t.Fatalf("Await = %v, %v; want a *web.Rejection", v, err)
	}
	return r.Value
}

func TestPromiseRejectsWithOidcError(t *testing.T) {
	cause := &spa.Error{Code: "invalid_grant", ConfigID: "main", Message: "refresh failed", Description: "token revoked"}
	p := web.Promise(func(ctx context.Context) (any, error) { return nil, fmt.Errorf("renewing: %w", cause) })
	reason := rejection(t, p)
	if !reason.InstanceOf(js.Global().Get("Error")) {
		t.Errorf("rejected with %s, want an Error", jsonOf(reason))
	}
	for prop, want := range map[string]string{
		"name":        "OidcError",
		"code":        "invalid_grant",
		"configId":    "main",
		"description": "token revoked",
		"message":     "renewing: " + cause.Error(),
	} {
		if got := reason.Get(prop); got.Type() != js.TypeString || got.String() != want {
			t.Errorf("%s = %v, want %q", prop, got, want)
		}
	}
}

func TestPromiseRejectsResultJSCannotHold(t *testing.T) {
	p := web.Promise(func(ctx context.Context) (any, error) { return struct{ X int }{1}, nil })
	reason := rejection(t, p)
	if code := reason.Get("code").String(); code != "unknown" {
		t.Errorf("code = %q, want unknown", code)
	}
	if msg := reason.Get("message").String(); !strings.Contains(msg, "struct") {
		t.Errorf("message %q does not name the type", msg)
	}
}

func TestJSErrorOfPlainError(t *testing.T) {
	e := web.JSError(errors.New("oidcwasm: something broke"))
	if got := e.Get("name").String(); got != "OidcError" {
		t.Errorf("name = %q", got)
	}
	if got := e.Get("message").String(); got != "oidcwasm: something broke" {
		t.Errorf("message = %q", got)
	}
	if got := e.Get("code").String(); got != "unknown" {
		t.Errorf("code = %q, want unknown", got)
	}
	if got := e.Get("configId"); !got.IsNull() {
		t.Errorf("configId = %v, want null", got)
	}
	for _, prop := range []string{"description", "field"} {
		if got := e.Get(prop); !got.IsUndefined() {
			t.Errorf("%s = %v, want it absent", prop, got)
		}
	}
}

func TestJSErrorOfConfigErrorNamesField(t *testing.T) {
	e := web.JSError(&spa.Error{Code: spa.CodeInvalidConfig, ConfigID: "api", Field: "authority", Message: "must be https"})
	if got := e.Get("code").String(); got != spa.CodeInvalidConfig {
		t.Errorf("code = %q", got)
	}
	if got := e.Get("configId").String(); got != "api" {
		t.Errorf("configId = %q", got)
	}
	if got := e.Get("field").String(); got != "authority" {
		t.Errorf("field = %q", got)
	}
}

func TestAwaitReturnsWhenContextEnds(t *testing.T) {
	never := js.Global().Get("Promise").New(js.Global().Get("Function").New("resolve", "reject", ""))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := web.Await(ctx, never); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Await = %v, want %v", err, context.DeadlineExceeded)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Await returned after %v", d)
	}
}

func TestAwaitRejectionOfNonError(t *testing.T) {
	_, err := web.Await(context.Background(), js.Global().Get("Promise").Call("reject", "plain reason"))
	var r *web.Rejection
	if !errors.As(err, &r) || r.Name() != "" || !strings.Contains(err.Error(), "plain reason") {
		t.Errorf("Await = %v", err)
	}
}

func TestAwaitTypeErrorRejection(t *testing.T) {
	_, err := web.Await(context.Background(), js.Global().Get("Promise").Call("reject", js.Global().Get("TypeError").New("Failed to fetch")))
	var r *web.Rejection
	if !errors.As(err, &r) || r.Name() != "TypeError" || !strings.Contains(err.Error(), "TypeError: Failed to fetch") {
		t.Errorf("Await = %v", err)
	}
}

func TestAwaitOfPlainValue(t *testing.T) {
	v, err := web.Await(context.Background(), js.ValueOf(7))
	if err != nil || v.Int() != 7 {
		t.Errorf("Await(7) = %v, %v", v, err)
	}
}

package web

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/oidcwasm/oidcwasm/spa"
)

// Promise returns a JS Promise that runs fn in a new goroutine and settles
// with its outcome: it resolves with fn's result converted to JS, or rejects
// with JSError(err). A function exported to JS must do its work this way,
// because a js.FuncOf callback that blocks (on a channel, a lock, a fetch)
// deadlocks the Go runtime: the callback runs on the event loop that would
// have to deliver what it waits for.
//
// The result may be nil (null, as for js.ValueOf), a js.Value or js.Func, a
// bool, a string, any integer or float type, or a []any or map[string]any of
// these; anything else rejects the Promise. fn's context is never canceled;
// it is there for fn to pass on. A panic in fn is not recovered: like any
// goroutine's, it ends the program.
func Promise(fn func(ctx context.Context) (any, error)) js.Value {
	executor := js.FuncOf(func(this js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			v, err := fn(context.Background())
			var jv js.Value
			if err == nil {
				jv, err = toJS(v)
			}
			if err != nil {
				reject.Invoke(JSError(err))
				return
			}
			resolve.Invoke(jv)
		}()
		return nil
	})
	// The Promise constructor calls the executor before it returns.
	defer executor.Release()
	return js.Global().Get("Promise").New(executor)
}

// Await waits until the promise p settles, or ctx is done, whichever comes
// first. A resolved promise gives its value; a rejected one a *Rejection; a
// done ctx gives ctx.Err() at once (the promise keeps running: cancel the
// work itself, for example through an AbortSignal). p may also be any
// thenable, or a plain value, which Promise.resolve turns into a promise.
//
// Await blocks, so it must run in a goroutine of its own and never inside a
// js.FuncOf callback (see Promise). It releases its callbacks when the
// promise settles, even after ctx is done.
func Await(ctx context.Context, p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	if err := ctx.Err(); err != nil {
		return js.Undefined(), err
	}
	done := make(chan result, 1)
	var onResolve, onReject js.Func
	settle := func(r result) {
		done <- r
		onResolve.Release()
		onReject.Release()
	}
	onResolve = js.FuncOf(func(this js.Value, args []js.Value) any {
		settle(result{v: arg0(args)})
		return nil
	})
	onReject = js.FuncOf(func(this js.Value, args []js.Value) any {
		settle(result{err: &Rejection{Value: arg0(args)}})
		return nil
	})
	js.Global().Get("Promise").Call("resolve", p).Call("then", onResolve, onReject)
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// Rejection is the error of Await when the promise rejects. Value is the
// rejection reason, usually an Error object.
type Rejection struct {
	Value js.Value
}

// Name is the reason's name property ("TypeError", "AbortError",
// "OidcError", ...), or "" when the reason is not an object.
func (r *Rejection) Name() string { return stringProp(r.Value, "name") }

// Error is "oidcwasm: web: promise rejected: " and the reason as JS prints it
// (name and message for an Error).
func (r *Rejection) Error() string {
	s := "oidcwasm: web: promise rejected"
	if !r.Value.IsUndefined() {
		s += ": " + js.Global().Get("String").Invoke(r.Value).String()
	}
	return s
}

// stringProp is v[name] when v is an object and that is a string, else "".
func stringProp(v js.Value, name string) string {
	if v.Type() != js.TypeObject {
		return ""
	}
	if p := v.Get(name); p.Type() == js.TypeString {
		return p.String()
	}
	return ""
}

// JSError turns err into the Error object the JS API rejects with:
//
//	name         "OidcError"
//	message      err.Error()
//	code         the Code of the first *spa.Error in err's chain, else "unknown"
//	configId     its ConfigID, else null
//	field        its Field, when set (for code "invalid_config")
//	description  its Description (the provider's error_description), when set
//
// spa errors never hold tokens, so neither does the result. A *Rejection
// whose reason is already an OidcError (one the service worker gave, which
// oidc.js rebuilt) is that reason. err must not be nil.
func JSError(err error) js.Value {
	var rej *Rejection
	if errors.As(err, &rej) && rej.Name() == "OidcError" {
		return rej.Value // one of this library's, from JS (the service worker's): as it is
	}
	e := js.Global().Get("Error").New(err.Error())
	e.Set("name", "OidcError")
	e.Set("code", "unknown")
	e.Set("configId", js.Null())
	var se *spa.Error
	if errors.As(err, &se) {
		e.Set("code", se.Code)
		if se.ConfigID != "" {
			e.Set("configId", se.ConfigID)
		}
		if se.Field != "" {
			e.Set("field", se.Field)
		}
		if se.Description != "" {
			e.Set("description", se.Description)
		}
	}
	return e
}

// toJS is js.ValueOf for the types it supports, with an error instead of a
// panic for the others.
func toJS(v any) (js.Value, error) {
	switch v := v.(type) {
	case nil:
		return js.Null(), nil
	case js.Value:
		return v, nil
	case js.Func:
		return v.Value, nil
	case bool, string, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr, float32, float64:
		return js.ValueOf(v), nil
	case []any:
		a := js.Global().Get("Array").New(len(v))
		for i, x := range v {
			jx, err := toJS(x)
			if err != nil {
				return js.Undefined(), err
			}
			a.SetIndex(i, jx)
		}
		return a, nil
	case map[string]any:
		o := js.Global().Get("Object").New()
		for k, x := range v {
			jx, err := toJS(x)
			if err != nil {
				return js.Undefined(), err
			}
			o.Set(k, jx)
		}
		return o, nil
	}
	return js.Undefined(), fmt.Errorf("oidcwasm: web: a %T cannot be passed to JS", v)
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/io"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// wasmMainThread is the renderer main thread's time spent on the module
// during one page load, from a Chromium trace (ms): receiving its bytes
// into V8's streaming decoder, finishing the stream, Blink's end of the
// response body, and instantiating. None of it overlaps the rest of the
// page's work on that thread.
type wasmMainThread struct {
	BytesReceived float64 `json:"bytes_received_ms"` // wasm.OnBytesReceived
	Finish        float64 `json:"finish_ms"`         // wasm.FinishStreaming + ResponseBodyLoader::DidFinishLoadingBody
	Instantiate   float64 `json:"instantiate_ms"`    // wasm.AsyncInstantiate
	CacheHit      bool    `json:"native_module_cache_hit"`
}

func (w wasmMainThread) total() float64 { return w.BytesReceived + w.Finish + w.Instantiate }

// traceCategories are the trace categories wasmMainThread reads.
var traceCategories = []string{"v8.wasm", "blink", "toplevel", "__metadata"}

// tracedReload reloads t's page with Chromium's tracing on and returns what
// the module cost the renderer's main thread. The trace comes back as one
// stream, read to its end once tracing has completed, so no event is missed.
func tracedReload(t *tab) (wasmMainThread, error) {
	var out wasmMainThread // zero, for the errors
	tctx, cancel := context.WithCancel(t.ctx)
	defer cancel()
	complete := make(chan tracing.EventTracingComplete, 1)
	go func() {
		for e, err := range chromedp.Events(tctx, tracing.TracingComplete) {
			if err == nil {
				complete <- e
			}
			return
		}
	}()
	cctx, ccancel := context.WithTimeout(t.ctx, time.Minute)
	defer ccancel()
	if _, err := chromedp.Call(cctx, tracing.Start, tracing.StartParams{
		TransferMode: tracing.StartTransferModeReturnAsStream,
		TraceConfig:  &tracing.TraceConfig{IncludedCategories: traceCategories}}); err != nil {
		return out, fmt.Errorf("starting a trace: %w", err)
	}
	if err := t.reload(); err != nil {
		return out, err
	}
	if _, err := t.wait("load", time.Minute); err != nil {
		return out, err
	}
	if _, err := chromedp.Call(cctx, tracing.End, cdp.Empty{}); err != nil {
		return out, fmt.Errorf("ending the trace: %w", err)
	}
	var done tracing.EventTracingComplete
	select {
	case done = <-complete:
	case <-cctx.Done():
		return out, fmt.Errorf("the trace did not complete: %w", cctx.Err())
	}
	defer chromedp.Call(cctx, io.Close, io.CloseParams{Handle: done.Stream})
	var data []byte
	for {
		r, err := chromedp.Call(cctx, io.Read, io.ReadParams{Handle: done.Stream})
		if err != nil {
			return out, fmt.Errorf("reading the trace: %w", err)
		}
		data = append(data, r.Data...)
		if r.EOF {
			break
		}
	}
	var trace struct {
		TraceEvents []traceEvent `json:"traceEvents"`
	}
	if err := json.Unmarshal(data, &trace); err != nil {
		return out, fmt.Errorf("reading the trace: %w", err)
	}
	return wasmCost(trace.TraceEvents)
}

// wasmCost reads a trace's events into wasmMainThread: the module's events
// on the renderer's main thread (CrRendererMain).
func wasmCost(events []traceEvent) (wasmMainThread, error) {
	var out wasmMainThread
	main := map[[2]int]bool{}
	for _, e := range events {
		if e.Ph == "M" && e.Name == "thread_name" && e.Args.Name == "CrRendererMain" {
			main[[2]int{e.Pid, e.Tid}] = true
		}
	}
	var onMain []traceEvent
	for _, e := range events {
		if e.Name == "CacheHit" {
			out.CacheHit = true
		}
		if e.Ph == "X" && main[[2]int{e.Pid, e.Tid}] {
			onMain = append(onMain, e)
		}
	}
	var finished []float64 // when each wasm.FinishStreaming ended, µs
	for _, e := range onMain {
		switch e.Name {
		case "wasm.OnBytesReceived":
			out.BytesReceived += e.Dur / 1000
		case "wasm.FinishStreaming":
			out.Finish += e.Dur / 1000
			finished = append(finished, e.Ts+e.Dur)
		case "wasm.AsyncInstantiate":
			out.Instantiate += e.Dur / 1000
		}
	}
	// Blink ends the module's response body right after V8 finished the
	// stream, in the same task; other bodies' ends are not the module's.
	for _, e := range onMain {
		if e.Name != "ResponseBodyLoader::DidFinishLoadingBody" {
			continue
		}
		for _, f := range finished {
			if e.Ts >= f && e.Ts-f < 1000 {
				out.Finish += e.Dur / 1000
			}
		}
	}
	if out.BytesReceived == 0 {
		return out, fmt.Errorf("the trace holds no wasm.OnBytesReceived on the renderer's main thread (%d events)", len(events))
	}
	return out, nil
}

// traceEvent is the part of a Trace Event Format event tracedReload reads.
type traceEvent struct {
	Name string  `json:"name"`
	Ph   string  `json:"ph"`
	Pid  int     `json:"pid"`
	Tid  int     `json:"tid"`
	Ts   float64 `json:"ts"`  // µs
	Dur  float64 `json:"dur"` // µs
	Args struct {
		Name string `json:"name"`
	} `json:"args"`
}

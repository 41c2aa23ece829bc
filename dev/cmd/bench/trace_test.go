package main

import (
	"encoding/json"
	"testing"
)

// A trace as Chromium reports it: thread names as metadata, complete events
// with microsecond times. Only the renderer main thread's module events
// count, and of the response-body ends only the one that follows the
// stream's finish.
func TestWasmCostReadsTheModulesMainThreadEvents(t *testing.T) {
	raw := `[
	 {"ph":"M","name":"thread_name","pid":1,"tid":10,"args":{"name":"CrRendererMain"}},
	 {"ph":"M","name":"thread_name","pid":1,"tid":11,"args":{"name":"ThreadPoolForegroundWorker"}},
	 {"ph":"X","name":"wasm.OnBytesReceived","pid":1,"tid":10,"ts":1000,"dur":4000},
	 {"ph":"X","name":"wasm.OnBytesReceived","pid":1,"tid":10,"ts":9000,"dur":6000},
	 {"ph":"X","name":"wasm.OnBytesReceived","pid":1,"tid":11,"ts":9000,"dur":50000},
	 {"ph":"X","name":"ResponseBodyLoader::DidFinishLoadingBody","pid":1,"tid":10,"ts":2000,"dur":900},
	 {"ph":"X","name":"wasm.FinishStreaming","pid":1,"tid":10,"ts":20000,"dur":3000},
	 {"ph":"X","name":"ResponseBodyLoader::DidFinishLoadingBody","pid":1,"tid":10,"ts":23100,"dur":7000},
	 {"ph":"X","name":"CacheHit","pid":1,"tid":11,"ts":23000,"dur":10},
	 {"ph":"X","name":"wasm.AsyncInstantiate","pid":1,"tid":10,"ts":40000,"dur":2500}
	]`
	var events []traceEvent
	if err := json.Unmarshal([]byte(raw), &events); err != nil {
		t.Fatal(err)
	}
	got, err := wasmCost(events)
	if err != nil {
		t.Fatal(err)
	}
	want := wasmMainThread{BytesReceived: 10, Finish: 10, Instantiate: 2.5, CacheHit: true}
	if got != want {
		t.Errorf("wasmCost = %+v; want %+v", got, want)
	}
	if got.total() != 22.5 {
		t.Errorf("total = %v; want 22.5", got.total())
	}
	// A trace without the module's bytes on the main thread (wrong
	// categories, or the thread not named) is an error, not zero.
	if _, err := wasmCost(events[1:]); err == nil {
		t.Error("wasmCost without the main thread's name: no error")
	}
}

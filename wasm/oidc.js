/*! oidcwasm bridge loader — defines globalThis.oidc at once; the work runs in oidc.wasm. */
(function () {
  "use strict";
  if (globalThis.oidc && globalThis.oidc.__oidcwasm) return;

  // Everything is fetched relative to this script's own URL.
  var script = document.currentScript;
  var base = new URL(".", script && script.src ? script.src : location.href);

  // Start-up is visible in the browser's performance timeline (DevTools,
  // performance.getEntriesByType("mark")) as "oidcwasm:<moment>" marks:
  // start, compiled, runtime, instantiated, main, client, registered, then
  // configure/configured and checkAuth/checkedAuth around each call.
  function mark(name) {
    if (typeof performance !== "undefined" && performance.mark) performance.mark("oidcwasm:" + name);
  }
  mark("start");

  var oidc = new EventTarget();
  Object.defineProperty(oidc, "__oidcwasm", { value: true });

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = function () { resolve(); };
      s.onerror = function () { reject(new Error("oidcwasm: cannot load " + src)); };
      document.head.appendChild(s);
    });
  }

  function oidcError(code, configId, message) {
    var e = new Error("oidcwasm: " + message);
    e.name = "OidcError";
    e.code = code;
    e.configId = configId;
    return e;
  }

  function loadError(message) {
    return oidcError("network", null, message);
  }

  // Fast paths that never cross into wasm (a call into Go costs ~50 µs):
  // tokens[configId + "\n" + key] = {token, renewAt} is pushed by oidc.wasm
  // whenever a session changes (key "" is the login's token, others are
  // per-API tokens under the opaque key Go gives route entries), and used only
  // before its renewal point; routes memoises matchRoute per absolute URL
  // until the next configure.
  var tokens = new Map();
  var routes = new Map();
  var defaultConfigId = null;

  // Worker custody (custody: "worker"; oidc-sw.js, wasm/worker_js.go and
  // wasm/custody_js.go): Go names the configs whose tokens live in the
  // service worker. Their calls go to the worker while it controls this
  // page, else to Go here, which rejects them with worker_unavailable; no
  // custody or route rule is decided in this file.
  var workerIds = [];
  var workerConfigs = null; // the last configure() input of a set with worker custody
  var swc = typeof navigator !== "undefined" && navigator.serviceWorker ? navigator.serviceWorker : null;
  var swRegistered = null;
  function controller() { return swc ? swc.controller : null; }
  function isWorkerConfig(configId) {
    return workerIds.indexOf(configId == null ? defaultConfigId : configId) >= 0;
  }

  var boot = {
    // Called by oidc.wasm with its implementation object.
    register: null,
    // Called by oidc.wasm: a call to the service worker that controls the
    // page (a popup sign-in of a worker-custody config).
    callWorker: function (name, args) { return toWorker(name, args); },
    // Called by oidc.wasm to record a moment of its start-up.
    mark: mark,
    // Called by oidc.wasm to fire an event on oidc.
    emit: function (type, detail) {
      oidc.dispatchEvent(new CustomEvent(type, { detail: detail }));
    },
    // Called by oidc.wasm when a config's session changes: token is null when
    // there is none, or when its lifetime is unknown (then every call asks Go);
    // apis lists the per-API tokens as [key, token, renewAt].
    session: function (configId, token, renewAt, apis) {
      var prefix = configId + "\n";
      tokens.forEach(function (_, k) { if (k.startsWith(prefix)) tokens.delete(k); });
      if (token) tokens.set(prefix, { token: token, renewAt: renewAt });
      (apis || []).forEach(function (a) { tokens.set(prefix + a[0], { token: a[1], renewAt: a[2] }); });
    },
    // Called by oidc.wasm after configure: the set changed; workers are the
    // configs whose tokens live in the service worker (custody "worker").
    configured: function (firstConfigId, workers) {
      defaultConfigId = firstConfigId;
      workerIds = workers || [];
      tokens.clear();
      routes.clear();
    },
  };
  globalThis.__oidcwasm_boot = boot;

  // A call to the service worker that controls the page, answered on a port.
  // Every call carries the set's configure() input, for a worker the browser
  // stopped and started again.
  var workerConfigured = Promise.resolve();
  function callWorker(name, args) {
    var c = controller();
    return new Promise(function (resolve, reject) {
      var ch = new MessageChannel();
      ch.port1.onmessage = function (e) {
        ch.port1.close();
        if (e.data && e.data.error) reject(errorFrom(e.data.error));
        else resolve(e.data ? e.data.value : undefined);
      };
      c.postMessage({ oidcwasm: "call", name: name, args: Array.prototype.slice.call(args), configs: workerConfigs }, [ch.port2]);
    });
  }
  function toWorker(name, args) {
    // After the set's configure reached the worker (a failed one rejected
    // configure(); the worker then gets the set with this call).
    var call = function () { return callWorker(name, args); };
    return workerConfigured.then(call, call);
  }
  function errorFrom(o) {
    var e = new Error(o.message);
    e.name = "OidcError";
    e.code = o.code;
    e.configId = o.configId;
    if (o.field) e.field = o.field;
    if (o.description) e.description = o.description;
    return e;
  }
  if (swc) {
    // The worker's events (never a token), and a worker that took control
    // of this page after it was configured (its first load): hand it the set.
    swc.addEventListener("message", function (e) {
      var d = e.data;
      if (d && d.oidcwasm === "event" && typeof d.type === "string") {
        oidc.dispatchEvent(new CustomEvent(d.type, { detail: d.detail }));
      }
      // The worker's silent sign-in, which needs a document: Go here runs
      // the iframe and checks its answer (wasm/custody_js.go, frame).
      var port = e.ports && e.ports[0];
      if (d && d.oidcwasm === "frame" && port) {
        startModule();
        ready.then(function () { return impl.frame(d.url, d.state, d.timeoutMs); }).then(function (u) {
          port.postMessage({ url: u });
        }, function (err) {
          port.postMessage({ error: String(err && err.message) });
        });
      }
    });
    swc.startMessages();
    swc.addEventListener("controllerchange", function () {
      if (workerConfigs !== null && controller()) {
        workerConfigured = callWorker("configure", [workerConfigs]).catch(lateError);
      }
    });
  }
  // registerWorker registers oidc-sw.js (beside this script) for the whole
  // origin, once; the page it is registered from is not controlled until it
  // activates and claims it. A page controlled by another script that runs
  // ours (a site's own worker that imports oidc-sw.js, go-app's: it answers
  // "stats") keeps that worker: registering ours would replace it.
  function registerWorker() {
    if (!swc || swRegistered) return;
    var mine = new URL("oidc-sw.js", base).href, c = controller();
    swRegistered = (c && c.scriptURL !== mine ? runsOurs(c) : Promise.resolve(false)).then(function (ours) {
      if (!ours) return swc.register(mine, { scope: "/" });
    }).catch(function (e) {
      console.error("oidcwasm: cannot register the service worker oidc-sw.js: " + (e && e.message));
    });
  }
  // runsOurs: worker w answers a "stats" call within 3 s.
  function runsOurs(w) {
    return new Promise(function (resolve) {
      var ch = new MessageChannel();
      var timer = setTimeout(function () { ch.port1.close(); resolve(false); }, 3000);
      ch.port1.onmessage = function (e) {
        clearTimeout(timer);
        ch.port1.close();
        resolve(!!(e.data && e.data.value && e.data.value.instanceId));
      };
      w.postMessage({ oidcwasm: "call", name: "stats", args: [] }, [ch.port2]);
    });
  }
  // After Go configured a set with worker custody: the worker gets it too.
  function configureWorker(configs) {
    if (workerIds.length === 0) {
      workerConfigs = null;
      return;
    }
    workerConfigs = configs;
    registerWorker();
    if (!controller()) return; // checkAuth and each call report worker_unavailable
    workerConfigured = callWorker("configure", [configs]);
    return workerConfigured;
  }
  // checkAuth of a set with worker custody: the worker completes its own
  // authorization response (and says which address replaces it) and
  // restores its sessions; Go here does the rest and reports the worker's
  // configs as the worker answered, or worker_unavailable.
  async function checkAuthWithWorker(i, url) {
    var raw = url == null ? location.href : String(url);
    var fromWorker = null;
    if (controller()) {
      var w = await workerCheckAuth(raw);
      raw = w.url;
      fromWorker = w.results;
    }
    return i.checkAuthWith(url == null ? undefined : raw, fromWorker);
  }
  // workerCheckAuth is the worker's checkAuth of the URL raw: it completes
  // its own authorization response, which leaves the address bar for the
  // address the worker gives, and restores its sessions. It resolves to
  // {url: raw or that address, results: the worker's login responses}.
  async function workerCheckAuth(raw) {
    var w = await toWorker("checkAuth", [raw]);
    if (w.clean) {
      if (raw === location.href) history.replaceState(history.state, "", w.clean);
      raw = w.clean;
    }
    if (w.error) throw errorFrom(w.error);
    return { url: raw, results: w.results };
  }

  // The three downloads never wait on each other: oidc.wasm is fetched and
  // compiled (streaming) while wasm_exec.js loads, so the module is usually
  // compiled by the time the Go runtime exists.
  var wasmURL = new URL("oidc.wasm", base).href;
  //
  // Except on a reload the service worker may answer: a page it controls,
  // with an early record of Go's that names a worker-custody config. There
  // the module starts once the early checkAuth() is answered, once anything
  // needs Go (a call it answers, configure() not answered early,
  // oidc.fetch, matchRoute, the worker's iframe), or 300 ms after this
  // script ran, whichever comes first (so oidc.ready settles for a page
  // that waits for it before it configures): its download and compile
  // take the page's main thread, which would hold the worker's answer back
  // (make bench: reload → session usable 116 → 67 ms).
  var startModule;
  var moduleStarted = new Promise(function (resolve) { startModule = resolve; });
  if (!(controller() && workerRecordHere())) startModule();
  else setTimeout(startModule, 300);
  var compiled = moduleStarted.then(function () { return compileModule(wasmURL); });
  compiled.then(function () { mark("compiled"); }, function () {}); // a failure is handled below
  var runtime = moduleStarted.then(function () {
    return typeof globalThis.Go === "function" ? undefined : loadScript(new URL("wasm_exec.js", base).href);
  });
  runtime.then(function () { mark("runtime"); }, function () {});

  // workerRecordHere: this tab's storage holds an early record of a
  // worker-custody config (wasm/early_js.go writes them in sessionStorage).
  function workerRecordHere() {
    return storages().some(function (st) {
      return recordsIn(st).some(function (r) { return r.worker === true; });
    });
  }

  // A Content-Security-Policy without 'wasm-unsafe-eval' in script-src
  // forbids compiling any WebAssembly: say which directive is missing.
  function cspError(e) {
    if (!/Content.Security.Policy|unsafe-eval|\bCSP\b/i.test(String(e && e.message))) return null;
    return oidcError("invalid_config", null, "the page's Content-Security-Policy forbids WebAssembly: " +
      "add 'wasm-unsafe-eval' to script-src (the browser said: " + e.message + ")");
  }

  async function compileModule(url) {
    try {
      return await WebAssembly.compileStreaming(fetch(url));
    } catch (streamErr) {
      var csp = cspError(streamErr);
      if (csp) throw csp;
      // A server that sends the wrong MIME type breaks streaming compilation: fall back.
      var resp;
      try {
        resp = await fetch(url);
      } catch (e) {
        throw loadError("cannot fetch " + url + ": " + e.message);
      }
      if (!resp.ok) throw loadError("cannot fetch " + url + ": HTTP " + resp.status);
      try {
        return await WebAssembly.compile(await resp.arrayBuffer());
      } catch (e) {
        throw cspError(e) || loadError(url + " is not a valid WebAssembly module: " + e.message);
      }
    }
  }

  // Go's implementation: null until the module runs and has caught up with
  // the calls made before (waiting, in their order). A call answered early
  // (configure, checkAuth: see "Before the module runs" below) is handed to
  // Go too, and awaited before the next, since the page went on as if it
  // were done; the others are answered by Go (those after a configure once
  // it has settled), and oidc.ready does not wait for them.
  var impl = null;
  var waiting = []; // {name, args, resolve, reject}; resolve null: answered early
  var failed = null;

  var ready = (async function () {
    await runtime;
    var go = new globalThis.Go();
    var module = await compiled;
    var instance;
    try {
      instance = await WebAssembly.instantiate(module, go.importObject);
    } catch (e) {
      throw cspError(e) || e; // WebKit compiles, then refuses to instantiate
    }
    mark("instantiated");
    var registered = new Promise(function (resolve) {
      boot.register = function (i) {
        mark("registered");
        resolve(i);
      };
    });
    go.run(instance).then(function () {
      console.error("oidcwasm: oidc.wasm exited");
    });
    var i = await registered;
    var after = null; // the last configure handed over: the calls after it are about its set
    while (waiting.length > 0) {
      var c = waiting.shift();
      var p = handOver(i, c, after);
      if (!c.resolve) {
        await p.then(null, lateError);
        continue;
      }
      p.then(c.resolve, c.reject);
      if (c.name === "configure") after = p.then(null, function () {});
    }
    impl = i;
  })();
  ready.catch(function (e) {
    failed = e;
    early = null; // nothing answers for a module that does not run
    tokens.clear();
    console.error(e.message);
    waiting.splice(0).forEach(function (c) { if (c.reject) c.reject(e); });
  });
  oidc.ready = ready.then(function () {});

  // handOver calls Go for the waiting call c, after the promise after
  // settled (when not null).
  function handOver(i, c, after) {
    var call = function () { return invoke(i, c.name, c.args); };
    return after ? after.then(call) : call();
  }

  // invoke is Go's call name: a checkAuth of a set with worker custody
  // (known once its configure is done, so decided here, not when called)
  // asks the worker first.
  function invoke(i, name, args) {
    if (name === "checkAuth" && workerIds.length > 0) return checkAuthWithWorker(i, args[0]);
    return i[name].apply(null, args);
  }

  function method(name) {
    return function () {
      var args = arguments;
      if (impl) return invoke(impl, name, args);
      if (failed) return Promise.reject(failed);
      startModule();
      return new Promise(function (resolve, reject) {
        waiting.push({ name: name, args: args, resolve: resolve, reject: reject });
      });
    };
  }

  // Go rejected a call the page had its answer to early (a configure whose
  // kept provider document went meanwhile, say): say so, as an error event.
  function lateError(e) {
    console.error("oidcwasm: " + (e && e.message));
    oidc.dispatchEvent(new CustomEvent("error", { detail: {
      configId: e && e.configId != null ? e.configId : null, code: (e && e.code) || "", message: String(e && e.message) } }));
  }
  [
    "configure", "checkAuth", "authorize", "authorizeWithPopUp", "getAccessToken", "getIdToken", "getUserData",
    "isAuthenticated", "forceRefreshSession", "revokeAccessToken", "revokeRefreshToken",
    "logoff", "logoffLocal", "logoffAndRevokeTokens",
  ].forEach(function (name) { oidc[name] = method(name); });

  // The cached token of a config under key, while it needs no renewal.
  function cached(configId, key) {
    var c = typeof configId === "string" ? tokens.get(configId + "\n" + key) : undefined;
    return c && Date.now() < c.renewAt ? c.token : null;
  }

  // Options (a per-API token) always ask Go, which owns the cache key.
  var askGoForToken = oidc.getAccessToken;
  oidc.getAccessToken = function (configId, options) {
    var t = options == null ? cached(configId == null ? defaultConfigId : configId, "") : null;
    return t !== null ? Promise.resolve(t) : askGoForToken.apply(null, arguments);
  };

  // The route entry a request (absolute URL abs, method) matches:
  // [configId, followRedirects, entry URL, token key], or null. While a configure runs (its
  // configLoaded listeners included) every lookup asks Go, so no answer of
  // the old set is remembered past it.
  function route(abs, method) {
    if (configuring > 0) return impl.routeOf(abs, method);
    var key = method + " " + abs;
    var r = routes.get(key);
    if (r === undefined) {
      r = impl.routeOf(abs, method);
      if (routes.size >= 512) routes.clear();
      routes.set(key, r);
    }
    return r;
  }

  // Before the module runs, configure(), checkAuth(), getAccessToken()
  // (the cache above), isAuthenticated() and getUserData() may be answered
  // from the early records Go keeps in each config's storage (wasm/early_js.go;
  // README, "Before the module runs"): what Go decided the page may use, for
  // which configure() input, until when. Here they are only read and
  // compared; a call they do not answer waits for Go.
  var early = null; // {ids, byId, defaultConfigId, params} after a configure they answer

  // a and b (from JSON.parse) are the same JSON data: a holds nothing that
  // JSON.stringify would lose or change (undefined, NaN, a Date, a class
  // instance, a function...).
  function sameJSON(a, b) {
    if (a === b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (Array.isArray(b)) {
      if (!Array.isArray(a) || a.length !== b.length) return false;
      for (var i = 0; i < b.length; i++) if (!sameJSON(a[i], b[i])) return false;
      return true;
    }
    var proto = Object.getPrototypeOf(a);
    if (Array.isArray(a) || (proto !== Object.prototype && proto !== null)) return false;
    var ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && kb.every(function (k) {
      return Object.prototype.hasOwnProperty.call(a, k) && sameJSON(a[k], b[k]);
    });
  }

  function storages() {
    var out = [];
    ["sessionStorage", "localStorage"].forEach(function (name) {
      try {
        if (globalThis[name]) out.push(globalThis[name]);
      } catch (e) {
        // storage denied: nothing of it answers
      }
    });
    return out;
  }

  // recordsIn is every early record of the storage st, of the version this
  // file reads. Go's keys: web.StorePrefix + "oidcwasm." + configId + ".early".
  function recordsIn(st) {
    var out = [];
    for (var i = 0; i < st.length; i++) {
      var k = st.key(i);
      if (!k || k.indexOf("oidcwasm:oidcwasm.") !== 0 || k.slice(-6) !== ".early") continue;
      var r = null;
      try { r = JSON.parse(st.getItem(k)); } catch (e) { /* not a record */ }
      if (r && r.v === 1) out.push(r);
    }
    return out;
  }

  // The early records for the configure() argument configs, or null: every
  // config of the set needs its record, with this input, and the keys each
  // names present (its session, the kept discovery document) or absent
  // (the session of a signed-out config) as Go left them.
  function earlyFor(configs) {
    var input;
    try {
      input = JSON.stringify(configs);
      if (typeof input !== "string" || !sameJSON(configs, JSON.parse(input))) return null;
    } catch (e) {
      return null;
    }
    var byId = {}, first = null;
    var ok = storages().every(function (st) {
      return recordsIn(st).every(function (r) {
        if (r.input !== input || ![r.present, r.absent, r.configIds, r.params].every(Array.isArray)) return true;
        if (Object.prototype.hasOwnProperty.call(byId, r.configId) ||
          !r.present.every(function (x) { return st.getItem(x) !== null; }) ||
          !r.absent.every(function (x) { return st.getItem(x) === null; })) return false;
        byId[r.configId] = r;
        first = first || r;
        return true;
      });
    });
    if (!ok || first === null) return null;
    var set = JSON.stringify([first.configIds, first.defaultConfigId, first.params]);
    var all = first.configIds.every(function (id) {
      var r = byId[id];
      return r !== undefined && JSON.stringify([r.configIds, r.defaultConfigId, r.params]) === set;
    });
    if (!all) return null;
    // Go's records name the configs with worker custody; their answers are
    // the worker's, so only a page it controls answers early.
    var workers = first.configIds.filter(function (id) { return byId[id].worker === true; });
    if (workers.length > 0 && !controller()) return null;
    return { ids: first.configIds, byId: byId, defaultConfigId: first.defaultConfigId, params: first.params, workers: workers };
  }

  // The early record a call with configId is about, while it holds (a
  // worker-custody config's never answers: the worker does).
  function earlyRecord(configId) {
    if (impl || !early || failed) return null;
    var id = configId == null ? early.defaultConfigId : configId;
    var r = typeof id === "string" && Object.prototype.hasOwnProperty.call(early.byId, id) ? early.byId[id] : null;
    return r && !r.worker && Date.now() < r.until ? r : null;
  }

  // Whether url's query or fragment has one of Go's response parameters:
  // then it may be an authorization response (or a logoff's return), Go's
  // to answer. A URL that does not parse is Go's too.
  function mayBeResponse(url, params) {
    var u;
    try {
      u = new URL(url, document.baseURI);
    } catch (e) {
      return true;
    }
    return [u.search, u.hash].some(function (part) {
      var q = new URLSearchParams(part.slice(1));
      return params.some(function (p) { return q.has(p); });
    });
  }

  // checkAuth's early answer, or null: the records' answers, with null in
  // the place of each worker-custody config, whose answer is the worker's
  // (withWorkersAnswers).
  function earlyCheckAuth(url) {
    if (impl || !early || failed || (url != null && typeof url !== "string")) return null;
    if (mayBeResponse(url || location.href, early.params)) return null;
    var out = [];
    for (var i = 0; i < early.ids.length; i++) {
      var id = early.ids[i];
      if (early.workers.indexOf(id) >= 0) {
        out.push(null);
        continue;
      }
      var r = earlyRecord(id);
      if (!r) return null;
      out.push({ configId: r.configId, isAuthenticated: r.isAuthenticated, userData: copy(r.userData), errorMessage: null });
    }
    return out;
  }
  // withWorkersAnswers fills those places with the worker's checkAuth of
  // url (its checkAuth restores its own sessions).
  async function withWorkersAnswers(out, url) {
    var w = await workerCheckAuth(url == null ? location.href : url);
    var byId = {};
    (w.results || []).forEach(function (r) { if (r && typeof r.configId === "string") byId[r.configId] = r; });
    return out.map(function (r, i) {
      if (r !== null) return r;
      var id = early.ids[i];
      if (!Object.prototype.hasOwnProperty.call(byId, id)) throw oidcError("unknown", id, "the service worker's checkAuth did not report config " + id);
      return byId[id];
    });
  }

  function copy(v) { return v == null ? null : JSON.parse(JSON.stringify(v)); }

  var askGoIsAuthenticated = oidc.isAuthenticated;
  oidc.isAuthenticated = function (configId) {
    var r = earlyRecord(configId);
    return r ? Promise.resolve(r.isAuthenticated) : askGoIsAuthenticated.apply(null, arguments);
  };

  var askGoForUserData = oidc.getUserData;
  oidc.getUserData = function (configId) {
    var r = earlyRecord(configId);
    return r ? Promise.resolve(copy(r.userData)) : askGoForUserData.apply(null, arguments);
  };

  var askGoToCheckAuth = oidc.checkAuth;
  oidc.checkAuth = function (url) {
    mark("checkAuth");
    var a = earlyCheckAuth(url), p;
    if (a) {
      // Go restores the sessions itself when it runs, and says by its
      // events what changed since (of its own configs: the worker tells
      // of its own).
      var signedIn = a.filter(function (r) { return r !== null && r.isAuthenticated; }).map(function (r) { return r.configId; });
      waiting.push({ name: "checkAuthAfterEarly", args: [url, signedIn], resolve: null });
      p = early.workers.length > 0 ? withWorkersAnswers(a, url) : Promise.resolve(a);
      p.then(startModule, startModule);
    } else {
      p = askGoToCheckAuth.apply(null, arguments);
    }
    var done = function () { mark("checkedAuth"); };
    p.then(done, done);
    return p;
  };

  var configuring = 0;
  var askGoToConfigure = oidc.configure;
  oidc.configure = function (configs) {
    mark("configure");
    configuring++;
    routes.clear();
    var done = function () {
      mark("configured");
      configuring--;
      routes.clear();
    };
    var p = null;
    if (!impl && !failed) {
      // Another input ends the early answers of the last one.
      early = earlyFor(configs);
      tokens.clear();
      defaultConfigId = null;
      if (early) {
        defaultConfigId = early.defaultConfigId;
        early.ids.forEach(function (id) {
          var r = early.byId[id];
          if (r.token) tokens.set(id + "\n", { token: r.token, renewAt: r.renewAt });
        });
        waiting.push({ name: "configure", args: arguments, resolve: null });
        p = Promise.resolve();
        // The worker-custody configs' calls go to the worker from now on,
        // after it has the set (a refusal there is an error event).
        workerIds = early.workers;
        if (workerIds.length === 0) {
          startModule();
        } else {
          var w = configureWorker(configs);
          if (w) workerConfigured = w.catch(lateError);
        }
      }
    }
    if (!p) p = askGoToConfigure.apply(null, arguments).then(function () { return configureWorker(configs); });
    p.then(done, done);
    return p;
  };

  // Synchronous: before oidc.ready settles no route is known, so no URL gets a
  // token. The URL is resolved as the browser's fetch would resolve it.
  oidc.matchRoute = function (url, method) {
    startModule();
    if (!impl) return null;
    var abs;
    try {
      abs = new URL(String(url), document.baseURI).href;
    } catch (e) {
      return null;
    }
    var r = route(abs, typeof method === "string" ? method.toUpperCase() : "GET");
    return r === null ? null : r[0];
  };

  // A body fetch can send twice: none, string, URLSearchParams, Blob, ArrayBuffer(View), FormData.
  function replayable(body) {
    return body == null || typeof body === "string" || body instanceof URLSearchParams ||
      body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body) ||
      body instanceof FormData;
  }

  // A URL without its query and fragment, for messages (a query may hold secrets).
  function bare(u) {
    try {
      var x = new URL(u);
      return x.origin + x.pathname;
    } catch (e) {
      return "(unparsable URL)";
    }
  }

  // window.fetch plus Authorization (Bearer, or DPoP with a proof) for
  // secure routes only. A request whose URL matches no secure route goes out
  // untouched.
  //
  // One snapshot: (input, init) become one Request at once, read the way
  // window.fetch reads them (WebIDL: getters and inherited init members, URL
  // objects, Request subclasses and Requests of other realms, each read once).
  // The route is decided on that Request's URL and that Request is what is
  // sent, so nothing the caller changes after the call moves the token.
  oidc.fetch = function (input, init) {
    var req;
    try {
      req = new Request(input, init);
    } catch (e) {
      return Promise.reject(e); // as window.fetch rejects: a TypeError
    }
    // Replaying needs a body that can be sent twice; a stream cannot. Only the
    // body's source says which (a Request's body is always a stream).
    var source = input instanceof Request ? null : init != null ? init.body : null;
    // Firefox has no Request.body (undefined): there a request has none when
    // init gave none and the input is no Request of a method with a body.
    var noBody = req.body === null || (req.body === undefined && source == null &&
      !(input instanceof Request && req.method !== "GET" && req.method !== "HEAD"));
    var canReplay = noBody || (source != null && replayable(source));
    return send(req, canReplay);
  };

  async function send(req, canReplay) {
    startModule();
    await oidc.ready;
    var entry = route(req.url, req.method.toUpperCase());
    // No route, no token; a caller's own Authorization header is left alone.
    if (entry === null || req.headers.has("Authorization")) return globalThis.fetch(req);
    // A worker-custody route: the worker that controls the page adds the
    // token; without one, Go (headers below) rejects with worker_unavailable.
    if (entry[5] && controller()) return globalThis.fetch(req);
    var configId = entry[0];
    if (req.mode === "no-cors") {
      // The browser would drop the Authorization header without a word.
      throw oidcError("invalid_request", configId, "mode \"no-cors\" cannot carry a token to " +
        bare(req.url) + ", a secure route of config " + configId + ": use mode \"cors\"");
    }
    // The entry's Authorization (and DPoP proof): the cache, else Go, which
    // also says when the request goes without one (null: an anonymous entry
    // while signed out). A DPoP request needs a proof each time: no cache.
    var token = entry[4] ? null : cached(configId, entry[3]);
    var auth = token !== null ? ["Bearer " + token, ""] : await headers(req, entry[4], false);
    if (auth === null) return globalThis.fetch(req);
    var resp = await sendWithToken(req, entry, auth, canReplay);
    // Go's rule for the answer (spa.Manager.RouteAnswer): "nonce" sends once
    // more with the DPoP nonce the server asked for, "renew" renews once and
    // sends once more; when the renewal fails, the caller gets the 401 (the
    // failure is what silentRenewFailed reports).
    for (var nonced = false, renewed = false; !resp.redirected;) {
      var nonce = entry[4] ? resp.headers.get("DPoP-Nonce") : null;
      if (resp.status !== 401 && nonce === null) return resp;
      var next = impl.routeAnswer(configId, req.url, resp.status, resp.headers.get("WWW-Authenticate") || "", nonce || "");
      if (!canReplay || next === "" || (next === "nonce" ? nonced : renewed)) return resp;
      if (next === "nonce") nonced = true;
      else renewed = true;
      try {
        auth = await headers(req, entry[4], next === "renew");
      } catch (e) {
        return resp;
      }
      if (auth === null) return resp;
      resp = await sendWithToken(req, entry, auth, true);
    }
    return resp;
  }

  // headers is [Authorization, DPoP proof] for req from Go, or null (no
  // token). For a DPoP config Go first tries to answer at once with the
  // proof's signing input and the key: this signs it here and appends the
  // signature (JWS compact serialization, RFC 7515 §7.1), which spares the
  // Promise into Go and back that routeHeaders costs.
  async function headers(req, dpop, force) {
    var p = dpop && !force ? impl.routeProof(req.url, req.method) : null;
    if (p !== null) {
      try {
        var sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, p[2], new TextEncoder().encode(p[1]));
        return [p[0], p[1] + "." + btoa(String.fromCharCode.apply(null, new Uint8Array(sig)))
          .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")];
      } catch (e) {
        // The key went meanwhile (a sign-out): Go makes the headers.
      }
    }
    return impl.routeHeaders(req.url, req.method, force);
  }

  // sendWithToken sends req (a clone when keep is set) with auth, its
  // [Authorization, DPoP proof]. The
  // browser keeps Authorization on a same-origin redirect and hides where a
  // redirect goes, so a token never follows one: redirect "follow" becomes
  // "manual", and the opaque answer rejects with redirect_blocked, unless the
  // route entry says followRedirects. A caller's own "error" or "manual" is
  // kept as asked.
  async function sendWithToken(req, entry, auth, keep) {
    var configId = entry[0], follow = entry[1];
    var headers = new Headers(req.headers);
    headers.set("Authorization", auth[0]);
    if (auth[1]) headers.set("DPoP", auth[1]);
    var asked = req.redirect;
    var out = new Request(keep ? req.clone() : req, {
      headers: headers,
      redirect: asked === "follow" && !follow ? "manual" : asked,
    });
    var resp = await globalThis.fetch(out);
    if (resp.type === "opaqueredirect" && asked === "follow" && !follow) {
      throw oidcError("redirect_blocked", configId, bare(req.url) + " (secure route " + entry[2] +
        " of config " + configId + ") answered with a redirect; the token does not follow redirects. " +
        "Call the final URL instead, or set followRedirects: true on the route entry");
    }
    return resp;
  }

  // The calls about one config (its configId at the index given) go to the
  // service worker when that config has worker custody and the worker
  // controls the page; an answer {assign: url} (authorize, logoff) is a
  // navigation the worker made, which only a page can do.
  // (authorizeWithPopUp is not among them: the popup must open in the
  // caller's click, so Go opens it here and asks the worker itself.)
  var configIdAt = { authorize: 0, getAccessToken: 0, getIdToken: 0, getUserData: 0,
    isAuthenticated: 0, forceRefreshSession: 0, revokeAccessToken: 0, revokeRefreshToken: 0, logoff: 0,
    logoffLocal: 0, logoffAndRevokeTokens: 0 };
  Object.keys(configIdAt).forEach(function (name) {
    var inPage = oidc[name];
    oidc[name] = function () {
      if (workerIds.length === 0 || !isWorkerConfig(arguments[configIdAt[name]]) || !controller()) {
        return inPage.apply(null, arguments);
      }
      return toWorker(name, arguments).then(function (v) {
        if (v && typeof v.assign === "string") {
          location.assign(v.assign);
          return undefined;
        }
        return v;
      });
    };
  });

  globalThis.oidc = oidc;
})();

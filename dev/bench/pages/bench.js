/*! The benchmark harness shared by both pages (dev/cmd/bench drives it).
 *
 * A page defines an adapter for its library and calls benchMain(adapter). On
 * every load the harness waits for the library (ready), configures it, then
 * either completes the login (the URL is an authorization response) or
 * restores the stored session, and reports the timings to the driver through
 * the DevTools binding __benchReport (with worker custody, the first load
 * reports once more when the service worker took control of the page).
 * performance.now() counts from the start of the navigation that led to this
 * document; after a login that navigation began at the provider's
 * authorization endpoint.
 *
 * window.BENCH (written by the server) says which provider, client and
 * storage to use. The driver calls the methods of window.bench directly.
 */
(function () {
  "use strict";
  var B = window.BENCH;

  function report(kind, data) {
    var msg = JSON.stringify(Object.assign({ kind: kind, lib: B.lib, variant: B.variant }, data));
    if (typeof window.__benchReport === "function") window.__benchReport(msg);
    var status = document.getElementById("status");
    if (status) status.textContent = msg;
  }

  function errorInfo(e) {
    return { error: String((e && e.message) || e), code: (e && e.code) || "" };
  }

  function navTiming() {
    var e = performance.getEntriesByType("navigation")[0];
    if (!e) return null;
    return { type: e.type, redirectCount: e.redirectCount, fetchStart: e.fetchStart,
      responseEnd: e.responseEnd, domInteractive: e.domInteractive, transferSize: e.transferSize };
  }

  // Library files and whether they came from the HTTP cache (transferSize 0).
  function resources() {
    return performance.getEntriesByType("resource")
      .filter(function (r) { return /\/(oidc|lib)\//.test(r.name); })
      .map(function (r) {
        return { name: r.name.replace(location.origin, ""), transferSize: r.transferSize,
          duration: r.duration, startTime: r.startTime, responseStart: r.responseStart,
          responseEnd: r.responseEnd };
      });
  }

  // The bridge's start-up marks (oidc.js: "oidcwasm:<moment>"), each
  // moment's first time from the navigation start.
  function marks() {
    var m = {};
    performance.getEntriesByType("mark").forEach(function (e) {
      if (e.name.startsWith("oidcwasm:") && !(e.name.slice(9) in m)) m[e.name.slice(9)] = e.startTime;
    });
    return m;
  }

  function isCallback() {
    var q = new URLSearchParams(location.search);
    return q.has("state") && (q.has("code") || q.has("error"));
  }

  // Timing one call needs a fine clock: performance.now() is coarsened to
  // 100 µs unless the page is cross-origin isolated (the server sends COOP and
  // COEP), where it is 5 µs. Isolated, each call is timed and the median
  // taken, which keeps a descheduled call on a busy machine out of the
  // result; otherwise batches of 50 calls are timed and the median of their
  // means taken.
  var fine = window.crossOriginIsolated === true;

  function median(xs) {
    var s = xs.slice().sort(function (a, b) { return a - b; });
    var n = s.length;
    if (n === 0) return NaN;
    return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  function quantile(xs, q) {
    var s = xs.slice().sort(function (a, b) { return a - b; });
    return s[Math.min(s.length - 1, Math.floor(q * s.length))];
  }

  // Runs the functions of fns (name -> function returning a Promise) n times
  // each, interleaved, each call awaited before the next, after a warm-up of
  // a tenth as many rounds; returns per name the median, p10 and p90 in
  // microseconds per call.
  async function timeCalls(fns, n) {
    var names = Object.keys(fns);
    var per = fine ? 1 : 50;
    var rounds = fine ? n : Math.max(3, Math.round(n / per));
    var samples = {};
    names.forEach(function (k) { samples[k] = []; });
    for (var r = -Math.ceil(rounds / 10); r < rounds; r++) {
      for (var j = 0; j < names.length; j++) {
        var fn = fns[names[j]];
        var t0 = performance.now();
        for (var i = 0; i < per; i++) await fn();
        var us = ((performance.now() - t0) * 1000) / per;
        if (r >= 0) samples[names[j]].push(us);
      }
    }
    var out = {};
    names.forEach(function (k) {
      var xs = samples[k];
      out[k] = { median: median(xs), p10: quantile(xs, 0.1), p90: quantile(xs, 0.9), n: xs.length * per, perCall: fine };
    });
    return out;
  }

  window.benchMain = function (lib) {
    var renew = { failed: 0, refreshed: 0 };

    window.bench = {
      // The library's way to read a valid access token (for -probe).
      token: function () { return lib.token(); },

      // Starts the code flow; the page navigates away.
      login: function () {
        setTimeout(function () {
          Promise.resolve(lib.login()).catch(function (e) { report("error", errorInfo(e)); });
        }, 0);
        return true;
      },

      // Reading a valid access token from JS, n times.
      tokenReads: async function (n) {
        var tok = await lib.token();
        if (typeof tok !== "string" || tok.length < 10) throw new Error("no access token: " + tok);
        return (await timeCalls({ token: lib.token }, n)).token;
      },

      // A request to a secure route, n times each, interleaved: with
      // window.fetch and no token (plain), with window.fetch and a fixed
      // Bearer header (header: what sending a token costs, whatever the
      // library), and through the library (token).
      fetchOverhead: async function (n) {
        var url = location.origin + "/api/ping";
        var check = await (await lib.fetchWithToken(url)).json();
        if (!check.bearer) throw new Error("the request to the secure route went out without a Bearer token");
        var tok = await lib.token();
        return timeCalls({
          plain: function () { return fetch(url).then(function (r) { return r.text(); }); },
          header: function () {
            return fetch(url, { headers: { Authorization: "Bearer " + tok } }).then(function (r) { return r.text(); });
          },
          token: function () { return lib.fetchWithToken(url).then(function (r) { return r.text(); }); },
        }, n);
      },

      // The bridge's own costs: a synchronous call into the wasm
      // (matchRoute) and an async method with next to no work
      // (isAuthenticated), each a round trip JS → Go → JS.
      internals: async function (n) {
        if (!lib.internals) return null;
        return timeCalls(lib.internals, n);
      },

      // The steps of the library's fetch, each added to the previous one
      // (see fetchParts in the page), timed interleaved.
      fetchParts: async function (n) {
        if (!lib.fetchParts) return null;
        return timeCalls(lib.fetchParts(location.origin + "/api/ping", await lib.token()), n);
      },

      // n callers ask for an access token at once, at wall-clock time at (ms
      // since the epoch), so that several tabs fire together.
      burst: async function (n, at) {
        await new Promise(function (r) { setTimeout(r, Math.max(0, at - Date.now())); });
        var t0 = performance.now();
        var calls = [];
        for (var i = 0; i < n; i++) calls.push(lib.burstCaller());
        var res = await Promise.allSettled(calls);
        var ms = performance.now() - t0;
        var out = { fulfilled: 0, rejected: 0, codes: {}, distinct: 0, ms: ms };
        var seen = {};
        res.forEach(function (r) {
          if (r.status === "fulfilled") {
            out.fulfilled++;
            if (!seen[r.value]) { seen[r.value] = true; out.distinct++; }
          } else {
            out.rejected++;
            var c = (r.reason && (r.reason.code || r.reason.error || r.reason.message)) || "unknown";
            out.codes[c] = (out.codes[c] || 0) + 1;
          }
        });
        return out;
      },

      // Renewal outcomes seen by this tab, and whether the session is still usable.
      renewals: async function () {
        var alive = false, code = "";
        try { alive = await lib.restore(); } catch (e) { code = errorInfo(e).code || errorInfo(e).error; }
        return { failed: renew.failed, refreshed: renew.refreshed, alive: alive, code: code };
      },
    };

    // The page does what an app does: configure and check the session at
    // once, without waiting for the library to say it is ready (the
    // bridge may answer both before its module runs, see the README's
    // "Before the module runs"); when it is ready is taken on the side.
    (async function () {
      try {
        var readyMs = NaN;
        var ready = Promise.resolve(lib.ready()).then(function () { readyMs = performance.now(); });
        ready.catch(function () {});
        await lib.configure();
        var configuredMs = performance.now();
        if (lib.watchRenewals) lib.watchRenewals(renew);
        var cb = isCallback();
        var t0 = performance.now();
        var ok = cb ? await lib.callback() : await lib.restore();
        var t1 = performance.now();
        await ready;
        report(cb ? "callback" : "load", Object.assign({ readyMs: readyMs, configuredMs: configuredMs,
          authMs: t1 - t0, doneMs: t1, authenticated: !!ok, isolated: fine, nav: navTiming(), resources: resources(),
          marks: marks() }, lib.custody ? lib.custody() : {}));
        // Worker custody's first load: the page is controlled only once the
        // worker it registered has activated; the adapter says when, and
        // what checkAuth answered then.
        if (!cb && lib.untilControlled) report("controlled", await lib.untilControlled());
      } catch (e) {
        report("error", errorInfo(e));
      }
    })();
  };
})();

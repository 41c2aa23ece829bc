// early.js runs first on the test page, before oidc.js:
// - it keeps the page's console calls in window.__e2eConsole;
// - it keeps every Content-Security-Policy violation of the page in
//   window.__e2eViolations (record.js shows them as e2e.violations), which
//   every engine reports to the page, with or without console events;
// - it takes away the browser features named in the page's ?without=
//   parameter (comma separated), as an engine that lacks them would be:
//     locks             navigator.locks (Web Locks)
//     broadcastchannel  BroadcastChannel
//   A page without the parameter keeps everything.
"use strict";
(function () {
  // The page's own console calls, for engines without console events
  // (Tab.Console falls back to them).
  var logged = [];
  window.__e2eConsole = logged;
  var text = function (v) {
    if (typeof v === "string") return v;
    if (v instanceof Error) return String(v);
    try { return JSON.stringify(v) ?? String(v); } catch (e) { return String(v); }
  };
  ["log", "info", "warn", "error", "debug"].forEach(function (level) {
    var original = console[level];
    console[level] = function () {
      logged.push({ type: level === "warn" ? "warning" : level, text: Array.prototype.map.call(arguments, text).join(" "), url: location.href });
      return original.apply(console, arguments);
    };
  });
  var violations = [];
  window.__e2eViolations = violations;
  document.addEventListener("securitypolicyviolation", function (e) {
    violations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
  });
  var without = new URLSearchParams(location.search).get("without");
  if (!without) return;
  without.split(",").forEach(function (f) {
    switch (f) {
      case "locks":
        delete Navigator.prototype.locks;
        if ("locks" in navigator) throw new Error("early.js: navigator.locks survived");
        break;
      case "broadcastchannel":
        delete globalThis.BroadcastChannel;
        break;
      default:
        throw new Error("early.js: unknown feature " + f);
    }
  });
})();

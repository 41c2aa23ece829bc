// early.js runs first on the test page, before oidc.js:
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

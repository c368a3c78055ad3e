/* Live updates (docs/live.md): the page's stream of "what changed" events (<body
   hx-ext="sse" sse-connect="/events">, the htmx SSE extension) re-fetches the fragments that
   follow them (hx-trigger="sse:…"). While the stream is open, polls (hx-trigger="every …")
   are skipped; when it drops they run again, and the extension reconnects with backoff; back
   online, every live fragment is fetched once (what happened meanwhile).
   A fragment with a form someone is typing in is never replaced: it gets a line "Updated by
   someone else · Refresh" instead. No inline scripts (strict CSP). */
(function () {
  "use strict";

  var body = document.body;
  if (!body.hasAttribute("sse-connect") || !window.htmx) { return; }
  var live = false;      // the stream is open: polls are not needed
  var wasDown = false;   // it dropped since: re-fetch everything when it is back

  function isLiveRefresh(event) {
    var type = event && event.type || "";
    return type === "hx:poll:trigger" || type.indexOf("sse:") === 0;
  }

  // --- typing ---------------------------------------------------------------------------------
  document.addEventListener("input", function (event) {
    var form = event.target.form || (event.target.closest && event.target.closest("form"));
    if (form) { form.setAttribute("data-live-typing", ""); }
  }, true);
  function typed(form) { form.removeAttribute("data-live-typing"); }
  body.addEventListener("submit", function (event) { typed(event.target); }, true);
  body.addEventListener("reset", function (event) { typed(event.target); }, true);
  // an action of this tab: the stream echoes it back a moment later, while the action's own
  // answer already showed what changed (with its message, its focus): that echo is skipped.
  // The echo can also come first: the server announces the change when it commits, before
  // its answer has reached this tab (seen under load: the re-fetched part, without the
  // message, replaced the answer). So an action in flight counts as well.
  var ownActionAt = 0;
  var actionsInFlight = 0;
  var actionStartedAt = 0;
  var ECHO_MS = 2500;
  var SLOW_MS = 30000;  // an action never answered stops counting as in flight
  function isAction(event) {
    var verb = ((event.detail.requestConfig || {}).verb || "get").toLowerCase();
    return verb !== "get";
  }
  body.addEventListener("htmx:beforeRequest", function (event) {
    if (isAction(event)) { actionsInFlight += 1; actionStartedAt = Date.now(); }
  });
  body.addEventListener("htmx:afterRequest", function (event) {
    if (!isAction(event)) { return; }
    actionsInFlight = Math.max(0, actionsInFlight - 1);
    ownActionAt = Date.now();
  });
  body.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var form = elt && (elt.tagName === "FORM" ? elt : elt.closest && elt.closest("form"));
    if (form && event.detail.successful) { typed(form); }
  });

  function typingIn(elt) {
    if (elt.querySelector("form[data-live-typing]")) { return true; }
    var active = document.activeElement;
    return !!(active && active !== body && elt.contains(active)
              && active.matches("input:not([type=hidden]), textarea, select"));
  }

  function refresh(elt) {
    var notice = elt.querySelector(":scope > .live-stale");
    if (notice) { notice.remove(); }
    elt.querySelectorAll("form[data-live-typing]").forEach(typed);
    // asked for: what was being typed gives way (an open row form closes, as a guard of the
    // area's own, such as the board's in reception.js, would otherwise hold the fetch back)
    elt.querySelectorAll("details[open]").forEach(function (d) { d.open = false; });
    if (elt.contains(document.activeElement)) { document.activeElement.blur(); }
    var url = elt.getAttribute("hx-get");
    if (url) { htmx.ajax("GET", url, {source: elt, target: elt,
                                      swap: elt.getAttribute("hx-swap") || "innerHTML"}); }
  }

  function stale(elt) {
    if (elt.querySelector(":scope > .live-stale")) { return; }
    var notice = document.createElement("p");
    notice.className = "live-stale";
    notice.setAttribute("role", "status");
    var text = document.createElement("span");
    text.textContent = (body.dataset.msgStale || "Updated by someone else") + " · ";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.textContent = body.dataset.msgRefresh || "Refresh";
    button.addEventListener("click", function () { refresh(elt); });
    notice.appendChild(text);
    notice.appendChild(button);
    elt.insertBefore(notice, elt.firstChild);
  }

  // htmx:confirm comes before anything of the request is made (an area's own guard, such as
  // the visitor board's in reception.js, may hold a poll back there too)
  body.addEventListener("htmx:confirm", function (event) {
    var cause = event.detail.triggeringEvent;
    if (!isLiveRefresh(cause)) { return; }
    var elt = event.detail.elt;
    if (cause.type === "hx:poll:trigger" && live) {
      event.preventDefault();  // the stream tells us when something changed
      return;
    }
    if (cause.type.indexOf("sse:") === 0
        && ((actionsInFlight > 0 && Date.now() - actionStartedAt < SLOW_MS)
            || Date.now() - ownActionAt < ECHO_MS)) {
      event.preventDefault();  // the echo of this tab's own action
      return;
    }
    if (typingIn(elt)) {
      event.preventDefault();
      stale(elt);
    }
  });

  // --- the stream's state ------------------------------------------------------------------------
  function resync() {
    document.querySelectorAll("[hx-trigger*='sse:']").forEach(function (elt) {
      if (typingIn(elt)) { stale(elt); return; }
      var url = elt.getAttribute("hx-get");
      if (url) {
        htmx.ajax("GET", url, {source: elt, target: elt,
                               swap: elt.getAttribute("hx-swap") || "innerHTML"});
      }
    });
  }

  body.addEventListener("htmx:sseOpen", function () {
    live = true;
    body.setAttribute("data-live", "open");
    if (wasDown) { wasDown = false; resync(); }
  });
  body.addEventListener("htmx:sseError", function () {
    live = false;
    wasDown = true;
    body.setAttribute("data-live", "down");
  });
  body.addEventListener("htmx:sseClose", function () {
    live = false;
    body.setAttribute("data-live", "closed");
  });
})();

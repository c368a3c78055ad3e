/* Portal behaviour: toasts for htmx results and failures. No inline scripts (strict CSP). */
(function () {
  "use strict";

  function toast(message, level) {
    var box = document.getElementById("toasts");
    if (!box || !message) { return; }
    var item = document.createElement("div");
    item.className = "toast toast-" + (level || "info");
    item.setAttribute("role", level === "error" ? "alert" : "status");
    var text = document.createElement("span");
    text.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.textContent = "×";
    close.setAttribute("aria-label", document.body.dataset.msgClose || "Close");
    close.addEventListener("click", function () { item.remove(); });
    item.appendChild(text);
    item.appendChild(close);
    box.appendChild(item);
    // errors stay longer, but never block the page for good
    setTimeout(function () { item.remove(); }, level === "error" ? 15000 : 6000);
  }

  var toastedAt = 0;  // a toast just shown says what happened (its region announces it)

  // Server-sent toasts: HX-Trigger: {"portal-toast": {"level": "...", "message": "..."}}
  document.body.addEventListener("portal-toast", function (event) {
    var detail = event.detail || {};
    toastedAt = Date.now();
    toast(detail.message, detail.level);
  });

  // --- keyboard focus across in-place updates ---------------------------------------------
  // A swap that replaces the element holding the focus (the button of a form answered in
  // place, a row's action) would drop the focus to <body>: a keyboard user starts over at the
  // top. After such a swap the focus goes to the first field refused, else to the changed
  // element's heading, else to the element itself; the hidden live region says what changed.
  var lost = null;  // {target, id, parent, next} of a swap that takes the focused element away

  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region || !text) { return; }
    region.textContent = "";
    // a change of content after a tick is what screen readers announce
    setTimeout(function () { region.textContent = text; }, 50);
  }

  function focusable(element) {
    if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
      element.setAttribute("tabindex", "-1");
    }
    return element;
  }

  function clean(text) { return (text || "").replace(/\s+/g, " ").trim(); }

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    if (!event.detail.shouldSwap || !target || !active || active === document.body
        || !target.contains(active)) { return; }
    lost = {target: target, id: target.id, parent: target.parentElement,
            next: target.nextElementSibling};
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    if (!lost) { return; }
    var was = lost;
    setTimeout(function () {  // after every element of the response has settled
      if (lost !== was) { return; }
      lost = null;
      var active = document.activeElement;
      if (active && active !== document.body && active.isConnected) { return; } // kept (id, autofocus)
      // the element now where the target was: same id, else just before its old neighbour
      var changed = was.target.isConnected ? was.target
        : (was.id && document.getElementById(was.id))
          || (was.next && was.next.isConnected && was.next.previousElementSibling)
          || (was.parent && was.parent.isConnected
              && (was.next ? was.parent : was.parent.lastElementChild || was.parent));
      if (!changed) { return; }
      var refused = changed.querySelector("[aria-invalid=true]");
      var heading = changed.matches("h1, h2, h3, h4") ? changed
        : changed.querySelector("h1, h2, h3, h4");
      var goal = refused || (heading ? focusable(heading) : focusable(changed));
      goal.focus();
      if (Date.now() - toastedAt > 2000) {
        var said = changed.querySelector("[role=status], [role=alert], .field-error");
        announce(clean(said ? said.textContent
          : document.body.dataset.msgUpdated + " " + (heading ? heading.textContent : "")));
      }
    }, 0);
  });

  // A plain form (signing out) is taking the page away: an htmx part asked for before it
  // and answered after it ("401, sign in again", HX-Redirect) does not send the page
  // elsewhere. htmx's own forms cancel their submit event, so they do not count.
  // A form that only downloads a file (an export) leaves the page where it is: after a few
  // seconds still here, the page was not leaving.
  var leaving = false;
  var stayed = null;
  function stay() { leaving = false; }
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented || event.target.target === "_blank") { return; }
    leaving = true;
    clearTimeout(stayed);
    stayed = setTimeout(stay, 5000);
  });
  window.addEventListener("pageshow", stay);
  document.body.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail.xhr;
    if (leaving && xhr && xhr.getResponseHeader("HX-Redirect")) { event.preventDefault(); }
  });

  // A failed htmx request never fails silently.
  document.body.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Trigger")) { return; } // the server sent its own toast
    toast(document.body.dataset.msgFailed + " (" + (xhr ? xhr.status : "?") + ")", "error");
  });
  document.body.addEventListener("htmx:sendError", function () {
    toast(document.body.dataset.msgOffline, "error");
  });
  document.body.addEventListener("htmx:timeout", function () {
    toast(document.body.dataset.msgOffline, "error");
  });
})();

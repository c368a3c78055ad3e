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

  // Server-sent toasts: HX-Trigger: {"portal-toast": {"level": "...", "message": "..."}}
  document.body.addEventListener("portal-toast", function (event) {
    var detail = event.detail || {};
    toast(detail.message, detail.level);
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

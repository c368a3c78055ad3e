/* The after-sales desk: replies to the customer. A canned reply's link ([data-copy-reply],
   its text already filled in with the case's facts) copies the text in one click and puts it
   in the reply field of the form below, where the agent may change it, copy it again with
   "Copy" ([data-copy-reply-text], shown only when this script runs) and record it as sent.
   Without JavaScript the link opens the case with the reply in that field, selectable.
   One delegated listener, so it still works after htmx swaps the case card. No inline
   scripts or styles (strict CSP). */
(function () {
  "use strict";

  function replyForm(element) {
    var panel = element.closest("#case-reply") || document;
    return panel.querySelector("form[data-reply-form]");
  }

  function say(form, text) {
    var status = form && form.querySelector("[data-copy-status]");
    if (status) { status.textContent = text; }
  }

  function copyFallback(field) {
    // outside a secure context (the portal on a LAN address) there is no clipboard API
    field.focus();
    field.select();
    return document.execCommand("copy");
  }

  function copy(form, field, text, done) {
    var status = form.querySelector("[data-copy-status]");
    var failed = status ? status.getAttribute("data-failed") : "";
    function fallback() {
      var ok = false;
      try { ok = copyFallback(field); } catch (error) { ok = false; }
      say(form, ok ? done : failed);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say(form, done); }, fallback);
    } else {
      fallback();
    }
  }

  function reveal(root) {
    var buttons = (root || document).querySelectorAll("[data-copy-reply-text]");
    for (var i = 0; i < buttons.length; i++) { buttons[i].hidden = false; }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) { return; }
    var link = target.closest("[data-copy-reply]");
    var button = link ? null : target.closest("[data-copy-reply-text]");
    if (!link && !button) { return; }
    var form = replyForm(link || button);
    var field = form && form.querySelector("textarea");
    if (!field) { return; }
    event.preventDefault();
    var status = form.querySelector("[data-copy-status]");
    var done = status ? status.getAttribute("data-copied") : "";
    if (link) {
      field.value = link.getAttribute("data-text") || "";
      field.dispatchEvent(new Event("input", { bubbles: true }));
      done = link.getAttribute("data-missing") || done;
    }
    copy(form, field, field.value, done);
  });

  // a new answer in the form: the last copy's word no longer applies
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form[data-reply-form]")) {
      say(event.target, "");
    }
  });

  document.addEventListener("htmx:load", function (event) { reveal(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  } else {
    reveal(document);
  }
})();

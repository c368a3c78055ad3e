/* The after-sales desk: a canned reply's button inserts its text at the cursor of the note
   field (the textarea named "text") of the form it sits in — or of the closest element
   marked data-reply-scope. One delegated listener, so replies still work after htmx swaps
   the case card. No inline scripts (strict CSP). */
(function () {
  "use strict";

  var lastFocused = null;  // the note field the agent last worked in, with its selection

  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field && field.matches && field.matches('textarea[name="text"]')) {
      lastFocused = field;
    }
  });

  function noteField(button) {
    var scope = button.closest("form") || button.closest("[data-reply-scope]");
    return scope ? scope.querySelector('textarea[name="text"]') : null;
  }

  function insert(field, text) {
    var value = field.value;
    var start = value.length;
    var end = value.length;
    if (lastFocused === field && typeof field.selectionStart === "number") {
      start = field.selectionStart;
      end = field.selectionEnd;
    }
    var before = value.slice(0, start);
    // appended after earlier text: keep the two apart
    if (before && start === value.length && !/\s$/.test(before)) {
      text = "\n" + text;
    }
    field.setRangeText(text, start, end, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-canned-reply]");
    if (!button) { return; }
    var field = noteField(button);
    if (!field) { return; }
    event.preventDefault();
    insert(field, button.getAttribute("data-text") || "");
  });
})();

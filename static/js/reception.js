/* The visitor board: its 15-second poll waits while someone is filling a form on it (the
   serve form of a row), so a refresh never throws away what they were typing.
   Actions on the page (HX-Trigger "visitors-changed") still refresh it at once. */
(function () {
  "use strict";

  document.body.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    if (!elt || elt.id !== "showroom-board") { return; }
    var trigger = event.detail.triggeringEvent;
    if (trigger && trigger.type === "visitors-changed") { return; }
    var active = document.activeElement;
    var busy = elt.querySelector("details[open]") || (active && elt.contains(active) &&
      active.matches("input, select, textarea"));
    if (busy) { event.preventDefault(); }
  });
})();

/* A logged arrival answers only the form's status line (the form, with its list of every
   consultant, stays in the page): "arrival-logged" carries the values the form starts again
   with (the arrival time now, the defaults, empty fields); the messages of an earlier refusal
   go too, and the returning-visitor hint. */
(function () {
  "use strict";

  document.body.addEventListener("arrival-logged", function (event) {
    var form = document.querySelector("#arrival-form form");
    if (!form) { return; }
    var fresh = event.detail || {};
    Object.keys(fresh).forEach(function (name) {
      var input = form.elements[name];
      if (input && typeof fresh[name] === "string") { input.value = fresh[name]; }
    });
    form.querySelectorAll(".field-error, .form-error").forEach(function (node) { node.remove(); });
    form.querySelectorAll(".has-error").forEach(function (node) { node.classList.remove("has-error"); });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    });
    var returning = document.getElementById("returning-visits");
    if (returning) { returning.textContent = ""; }
  });
})();

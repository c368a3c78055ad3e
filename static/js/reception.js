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

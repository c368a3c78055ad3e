/* The order queue: the cut-off countdown (R-O5), opening the slips page after printing,
   "select all" for the slips, and the slips page's Print button. No inline scripts. */
(function () {
  "use strict";

  // --- the cut-off countdown: the server renders the text and data-deadline (ISO) --------
  function fill(template, hours, minutes) {
    return template.replace("{h}", String(hours)).replace("{m}", String(minutes));
  }

  var askedAt = 0;  // when the server was last asked for the passed state

  function tick() {
    var lines = document.querySelectorAll(".cutoff-line[data-deadline]");
    Array.prototype.forEach.call(lines, function (line) {
      var deadline = Date.parse(line.dataset.deadline);
      if (isNaN(deadline)) { return; }
      var left = Math.ceil((deadline - Date.now()) / 60000);
      if (left <= 0) {
        line.textContent = line.dataset.msgPassed;
        var banner = line.closest("#cutoff-banner");
        // ask the server for the passed state with the missed orders (at most once a
        // minute: a browser clock ahead of the server's must not loop)
        if (banner && window.htmx && Date.now() - askedAt > 60000) {
          askedAt = Date.now();
          window.htmx.trigger(banner, "cutoff-passed");
        }
        return;
      }
      var hours = Math.floor(left / 60);
      var minutes = left % 60;
      line.textContent = hours > 0 ? fill(line.dataset.msgHours, hours, minutes)
        : fill(line.dataset.msgMinutes, hours, minutes);
    });
  }

  if (document.querySelector(".cutoff-line[data-deadline]")) {
    tick();
  }
  setInterval(tick, 30000);
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.elt && event.detail.elt.id === "cutoff-banner") { tick(); }
  });

  // --- slips: the server answers a print with HX-Trigger {"orders-print": {"url": ...}} ----
  document.body.addEventListener("orders-print", function (event) {
    var url = event.detail && event.detail.url;
    if (url) { window.open(url, "_blank"); }
  });

  // --- "select all" ticks every printable order of the page ------------------------------
  document.body.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-select-all]")) { return; }
    var boxes = document.querySelectorAll(
      'input[type=checkbox][name=ids][form="' + box.dataset.selectAll + '"]');
    Array.prototype.forEach.call(boxes, function (each) {
      if (!each.disabled) { each.checked = box.checked; }
    });
  });

  // --- the slips page: its Print button ---------------------------------------------------
  document.body.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) { window.print(); }
  });
})();

/* Score sheets: after an entry is recorded in place (the answer is its row, 200), the entry
   form comes back clean for the next one: no catalogue item chosen, no reason, points or
   evidence, no linked record. A reset alone is not enough: choosing a catalogue item redraws
   the form with that item selected and its text as the fields' defaults, which a reset
   restores, and the next free reason would be sent with the item's id (issue 15, item 3).
   The date and the form's sheet version stay (the version arrives out of band with the
   answer). No inline scripts. */
(function () {
  "use strict";

  function clean(form) {
    form.reset();
    var fields = form.querySelectorAll(
      "select, textarea, input:not([type=hidden]):not([type=date]):not([type=submit])");
    Array.prototype.forEach.call(fields, function (field) {
      if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.options, function (option) {
          option.defaultSelected = option.value === "";
        });
        field.value = "";
      } else {
        field.defaultValue = "";
        field.value = "";
      }
    });
  }

  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    var xhr = event.detail.xhr;
    if (!form || !form.matches || !form.matches("form.entry-form") || !xhr) { return; }
    if (xhr.status === 200) { clean(form); }
  });
})();

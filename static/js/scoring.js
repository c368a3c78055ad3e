/* Score sheets: after an entry is recorded in place (the answer is its row, 200), empty the
   entry form for the next one. The form's sheet version arrives out of band with the answer
   (a hidden input, which a reset leaves as the server sent it). No inline scripts. */
(function () {
  "use strict";

  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    var xhr = event.detail.xhr;
    if (!form || !form.matches || !form.matches("form.entry-form") || !xhr) { return; }
    if (xhr.status === 200) { form.reset(); }
  });
})();

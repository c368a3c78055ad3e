/* The handover book's form (R-H4): choosing a problem case (an order problem, an after-sales
   case) opens the order and customer details, whose order number it then requires; the
   server refuses such an item without one either way. The categories are the select's
   data-problem-categories. */
(function () {
  "use strict";

  function follow(select) {
    var form = select.form;
    var details = form && form.querySelector("details.case-details");
    if (!details) { return; }
    var problem = (select.dataset.problemCategories || "").split(" ")
      .indexOf(select.value) !== -1;
    if (problem) { details.open = true; }
    var orderNo = form.querySelector("input[name=order_no]");
    if (orderNo) { orderNo.setAttribute("aria-required", problem ? "true" : "false"); }
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-problem-categories]")) { follow(select); }
  });
})();

/* The planner's roster grid (templates/shifts/roster/_grid.html). A day cell carries only its
   shift's letter and class; the row says whose cells they are (data-user), the column's
   heading which day (data-day). One delegated handler opens a cell's editor: a click, or
   Enter / Space / F2 on the focused cell, fetches the editor fragment by htmx GET in place of
   the cell; a day's cleaning-duty link opens its editor the same way. The grid is one tab
   stop; the arrow keys move between the day cells (a roving tabindex, as in an ARIA grid).
   No inline scripts (strict CSP). */
(function () {
  "use strict";

  var GRID = "table.roster-grid.editable";

  // a person's day cell (not the name, the totals or a cell being edited), or null
  function dayCell(node) {
    var td = node && node.closest ? node.closest("td") : null;
    if (!td || td.classList.contains("sum") || td.classList.contains("editing")) { return null; }
    var row = td.parentElement;
    if (!row || !row.dataset.user || !row.closest(GRID)) { return null; }
    return td;
  }

  function dayOf(table, td) {
    var head = table.tHead && table.tHead.rows[0] && table.tHead.rows[0].cells[td.cellIndex];
    return head ? head.dataset.day : null;
  }

  function openEditor(td) {
    var table = td.closest(GRID);
    var day = dayOf(table, td);
    var base = table.dataset.cellUrl;
    if (!day || !base || !window.htmx) { return; }
    var url = base.replace(/\/0\/0$/, "/" + td.parentElement.dataset.user + "/" + day);
    window.htmx.ajax("GET", url, { source: td, target: td, swap: "outerHTML" });
  }

  // one cell of the grid is in the tab order; moving focus moves it
  function makeCurrent(td) {
    var table = td.closest(GRID);
    table.querySelectorAll("td[tabindex='0']").forEach(function (other) {
      if (other !== td) { other.setAttribute("tabindex", "-1"); }
    });
    td.setAttribute("tabindex", "0");
  }

  function move(td, key) {
    var row = td.parentElement;
    var index = td.cellIndex;
    var target = null;
    if (key === "ArrowLeft" || key === "ArrowRight") {
      target = row.cells[index + (key === "ArrowLeft" ? -1 : 1)];
    } else {
      var next = key === "ArrowUp" ? "previousElementSibling" : "nextElementSibling";
      var other = row[next];
      while (other && !other.dataset.user) { other = other[next]; }
      if (!other) {  // on to the next (or previous) role's rows
        var body = row.parentElement[next];
        while (body && !other) {
          var people = body.querySelectorAll("tr[data-user]");
          other = people.length ? people[key === "ArrowUp" ? people.length - 1 : 0] : null;
          body = body[next];
        }
      }
      target = other ? other.cells[index] : null;
    }
    target = dayCell(target);
    if (target) {
      makeCurrent(target);
      target.focus();
    }
  }

  function prepare(root) {
    (root.matches && root.matches(GRID) ? [root] : root.querySelectorAll(GRID))
      .forEach(function (table) {
        if (table.querySelector("td[tabindex='0']")) { return; }
        var first = table.querySelector("tr[data-user] > td:not(.sum)");
        if (first) { first.setAttribute("tabindex", "0"); }
      });
  }

  document.addEventListener("click", function (event) {
    var td = dayCell(event.target);
    if (td) { openEditor(td); return; }
    // a day's cleaning duty: its link (the editor's page without JavaScript), opened in place
    var link = event.target.closest && event.target.closest(GRID + " tr.cleaning > td > a[href]");
    if (link && window.htmx && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      window.htmx.ajax("GET", link.getAttribute("href"),
                       { source: link, target: link.parentElement, swap: "outerHTML" });
    }
  });

  document.addEventListener("focusin", function (event) {
    var td = dayCell(event.target);
    if (td && event.target === td) { makeCurrent(td); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var editing = event.target.closest && event.target.closest(GRID + " td.editing");
    if (editing && event.key === "Escape") {  // close the editor, keep the cell
      var cancel = editing.querySelector(".cell-cancel");
      if (cancel) { event.preventDefault(); cancel.click(); }
      return;
    }
    var td = dayCell(event.target);
    if (!td || event.target !== td) { return; }
    if (event.key === "Enter" || event.key === " " || event.key === "F2") {
      event.preventDefault();
      openEditor(td);
    } else if (/^Arrow(Up|Down|Left|Right)$/.test(event.key)) {
      event.preventDefault();
      move(td, event.key);
    }
  });

  // a swapped row brings its focused cell (tabindex="0" autofocus): keep one tab stop
  document.addEventListener("htmx:afterSettle", function (event) {
    var td = dayCell(document.activeElement);
    if (td) { makeCurrent(td); }
    prepare(event.target.closest ? (event.target.closest(GRID) || event.target) : document);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { prepare(document); });
  } else {
    prepare(document);
  }
})();

// "Use this reply" in the articles suggested under a textarea (templates/_macros/suggest.html):
// the reply's text goes into the textarea at the cursor.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-suggest-insert]");
  if (!button) return;
  const box = button.closest("[data-suggest-for]");
  const reply = document.getElementById(button.dataset.suggestInsert);
  const area = box && document.getElementById(box.dataset.suggestFor);
  if (!reply || !area) return;
  const text = reply.textContent.trim();
  const start = area.selectionStart ?? area.value.length;
  const end = area.selectionEnd ?? area.value.length;
  area.value = area.value.slice(0, start) + text + area.value.slice(end);
  area.focus();
  area.selectionStart = area.selectionEnd = start + text.length;
});

// The day-parts editor (screens/widgets.py): 添加时段 copies the blank row,
// 删除 removes a row. Delegated from the document, so that editors in inline
// forms added later (playlist items) work too.
document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-day-parts-add]");
  if (add) {
    const editor = add.closest("[data-day-parts]");
    const count = editor.querySelector("[data-day-parts-count]");
    const blank = editor.querySelector("[data-day-parts-template]").innerHTML;
    const rows = editor.querySelector("[data-day-parts-rows]");
    rows.insertAdjacentHTML("beforeend", blank.replaceAll("__part__", count.value));
    count.value = Number(count.value) + 1;
    rows.lastElementChild.querySelector("input").focus();
    return;
  }
  const remove = event.target.closest("[data-day-parts-remove]");
  if (remove) {
    remove.closest("[data-day-parts-row]").remove();
  }
});

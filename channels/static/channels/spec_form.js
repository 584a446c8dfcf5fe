// An outlet's 渠道参数 (channels/spec_form.py): show and enable the settings
// of the channel chosen in the form, hide and disable the others' (a
// disabled input is not posted).
function showChosenChannel(editor) {
  const form = editor.closest("form");
  const select = form.elements[editor.dataset.channelField];
  for (const fieldset of editor.querySelectorAll("[data-spec-channel]")) {
    const chosen = fieldset.dataset.specChannel === select.value;
    fieldset.hidden = !chosen;
    fieldset.disabled = !chosen;
  }
}

document.addEventListener("change", (event) => {
  if (event.target.closest("select")) {
    const form = event.target.form;
    form?.querySelectorAll("[data-outlet-spec]").forEach(showChosenChannel);
  }
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-outlet-spec]").forEach(showChosenChannel);
});

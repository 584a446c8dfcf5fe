// The 大字版 switch: shown only where this script runs, pressed state kept
// in localStorage (no cookie). The class itself is set before the first
// paint by the line in base.html's <head>, so a remembered mode never flickers.
(function () {
  "use strict";
  var KEY = "kepu-mode";
  var root = document.documentElement;
  var button = document.querySelector("[data-mode-switch]");
  if (!button) return;

  function show(large) {
    root.classList.toggle("mode-large", large);
    button.setAttribute("aria-pressed", large ? "true" : "false");
  }

  button.hidden = false;
  show(root.classList.contains("mode-large"));
  button.addEventListener("click", function () {
    var large = !root.classList.contains("mode-large");
    show(large);
    try {
      if (large) localStorage.setItem(KEY, "large");
      else localStorage.removeItem(KEY);
    } catch (blocked) {
      // Storage refused (private mode): the switch still works on this page.
    }
  });
})();

// The page editor's 渠道 side panel (channels/editor_panel.py). As Wagtail's
// preview does, it posts the edit form when the form has changed and has then
// stayed still for a moment, and shows the figures counted from it; the
// panel's toggle counts the outlets whose check fails.
(() => {
  const SETTLE_MS = 800;

  function start() {
    const panel = document.querySelector("[data-channel-figures]");
    const form = document.querySelector("[data-edit-form]");
    if (!panel || !form) return;
    const counter = document.querySelector(
      '[data-side-panel-toggle="channels"] [data-side-panel-toggle-counter]',
    );
    let sent = serialised(form);
    let seen = sent;
    let seenAt = Date.now();
    let inFlight = false;

    async function refresh() {
      const now = serialised(form);
      if (now !== seen) {
        seen = now;
        seenAt = Date.now();
        return;
      }
      if (now === sent || inFlight || Date.now() - seenAt < SETTLE_MS) return;
      inFlight = true;
      try {
        const response = await fetch(panel.dataset.channelFiguresUrl, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
        });
        if (response.ok) {
          panel.innerHTML = await response.text();
          sent = now;
          showCount();
        }
      } finally {
        inFlight = false;
      }
    }

    function showCount() {
      const figures = panel.querySelector("[data-channel-figures-failing]");
      if (!counter || !figures) return;
      const failing = Number(figures.dataset.channelFiguresFailing);
      counter.textContent = failing;
      counter.hidden = failing === 0;
    }

    setInterval(refresh, 300);
  }

  function serialised(form) {
    const fields = [...new FormData(form)].filter(([, v]) => typeof v === "string");
    return new URLSearchParams(fields).toString();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// 大屏分组: collapse a group's branch in place. Each row carries its tree path
// (data-group-path); a row is hidden while any group above it is collapsed.
// Collapsed branches are remembered in this browser.
(() => {
  const KEY = "kepu.bigScreenGroups.collapsed";

  function start() {
    const toggles = [...document.querySelectorAll("[data-group-toggle]")];
    if (!toggles.length) return;
    const rows = [...document.querySelectorAll("tr[data-group-path]")];
    const known = new Set(toggles.map((t) => t.dataset.groupToggle));
    const collapsed = new Set(remembered().filter((path) => known.has(path)));

    function show() {
      for (const row of rows) {
        const path = row.dataset.groupPath;
        row.hidden = [...collapsed].some((c) => path !== c && path.startsWith(c));
      }
      for (const toggle of toggles) {
        const open = !collapsed.has(toggle.dataset.groupToggle);
        toggle.setAttribute("aria-expanded", String(open));
        toggle.textContent = open ? "▾" : "▸";
      }
      localStorage.setItem(KEY, JSON.stringify([...collapsed]));
    }

    for (const toggle of toggles) {
      toggle.addEventListener("click", () => {
        const path = toggle.dataset.groupToggle;
        if (!collapsed.delete(path)) collapsed.add(path);
        show();
      });
    }
    show();
  }

  function remembered() {
    try {
      const value = JSON.parse(localStorage.getItem(KEY) || "[]");
      return Array.isArray(value) ? value : [];
    } catch {
      return [];
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// A tree listing (大屏分组, 单位): collapse a branch in place. Each row carries
// its tree path (data-tree-path); a row is hidden while any row above it is
// collapsed. Collapsed branches are remembered in this browser, per listing.
(() => {
  const KEY = `kepu.tree.collapsed:${location.pathname}`;

  function start() {
    const toggles = [...document.querySelectorAll("[data-tree-toggle]")];
    if (!toggles.length) return;
    const rows = [...document.querySelectorAll("tr[data-tree-path]")];
    const known = new Set(toggles.map((t) => t.dataset.treeToggle));
    const collapsed = new Set(remembered().filter((path) => known.has(path)));

    function show() {
      for (const row of rows) {
        const path = row.dataset.treePath;
        row.hidden = [...collapsed].some((c) => path !== c && path.startsWith(c));
      }
      for (const toggle of toggles) {
        const open = !collapsed.has(toggle.dataset.treeToggle);
        toggle.setAttribute("aria-expanded", String(open));
        toggle.textContent = open ? "▾" : "▸";
      }
      localStorage.setItem(KEY, JSON.stringify([...collapsed]));
    }

    for (const toggle of toggles) {
      toggle.addEventListener("click", () => {
        const path = toggle.dataset.treeToggle;
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

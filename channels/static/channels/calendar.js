// The editorial calendar: drag a placement to another day to reschedule it
// (the server keeps the time of day and may refuse, with a message); click an
// empty part of a day to plan something on it.
(() => {
  const root = document.querySelector("[data-calendar]");
  if (!root) {
    return;
  }
  const message = root.querySelector("[data-calendar-message]");
  let dragged = null;

  function show(text, kind) {
    message.textContent = text;
    message.dataset.kind = kind;
    message.hidden = false;
  }

  function clearTargets() {
    root.querySelectorAll(".kc-day.is-drop-target").forEach((day) => {
      day.classList.remove("is-drop-target");
    });
  }

  function dropDay(event) {
    const day = event.target.closest(".kc-day");
    if (!dragged || !day || day.classList.contains("is-past")) {
      return null;
    }
    return day;
  }

  // Redraw the grid from the server, so that gap warnings and the order of
  // chips follow the move.
  async function refresh() {
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
    });
    const html = new DOMParser().parseFromString(await response.text(), "text/html");
    const grid = html.querySelector("[data-calendar-grid]");
    if (grid) {
      root.querySelector("[data-calendar-grid]").replaceWith(grid);
    }
  }

  // A day outside the outlet's 刊播日 is answered 409 with a question: the
  // move goes ahead only with the editor's reason, which the server records.
  async function move(chip, day, reason) {
    const body = { date: day.dataset.date };
    if (reason) {
      body.reason = reason;
    }
    const response = await fetch(chip.dataset.moveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": root.dataset.csrf,
        "X-Requested-With": "XMLHttpRequest",
      },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (response.status === 409 && data.confirm && !reason) {
      const given = window.prompt(data.confirm, "");
      if (given && given.trim()) {
        return move(chip, day, given.trim());
      }
      throw new Error(root.dataset.cancelText);
    }
    if (!response.ok) {
      throw new Error(data.error || root.dataset.errorText);
    }
    return data;
  }

  root.addEventListener("dragstart", (event) => {
    const chip = event.target.closest(".kc-chip[draggable='true']");
    if (!chip) {
      return;
    }
    dragged = chip;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", chip.dataset.placement);
    chip.classList.add("is-dragging");
  });

  root.addEventListener("dragend", () => {
    if (dragged) {
      dragged.classList.remove("is-dragging");
    }
    dragged = null;
    clearTargets();
  });

  root.addEventListener("dragover", (event) => {
    const day = dropDay(event);
    if (!day) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!day.classList.contains("is-drop-target")) {
      clearTargets();
      day.classList.add("is-drop-target");
    }
  });

  root.addEventListener("drop", async (event) => {
    const day = dropDay(event);
    if (!day) {
      return;
    }
    event.preventDefault();
    clearTargets();
    const chip = dragged;
    const from = chip.parentElement;
    const next = chip.nextElementSibling;
    if (from.closest(".kc-day") === day) {
      return;
    }
    day.querySelector(".kc-chips").append(chip);
    chip.classList.add("is-saving");
    try {
      const data = await move(chip, day);
      show(data.message, "success");
      await refresh();
    } catch (error) {
      from.insertBefore(chip, next);
      show(error.message, "error");
    } finally {
      chip.classList.remove("is-saving", "is-dragging");
    }
  });

  root.addEventListener("click", (event) => {
    if (event.target.closest("a, button")) {
      return;
    }
    const day = event.target.closest(".kc-day[data-add-url]");
    if (day) {
      window.location.href = day.dataset.addUrl;
    }
  });
})();

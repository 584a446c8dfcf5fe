// The export job list: polls the status endpoint for the jobs still queued
// or running and updates their rows (status, progress bar, result) in place.
(function () {
  "use strict";

  const table = document.querySelector("[data-mp-jobs]");
  if (!table) {
    return;
  }
  const statusUrl = table.dataset.statusUrl;
  const interval = Number(table.dataset.interval) || 1500;
  const labels = JSON.parse(document.getElementById("mp-job-labels").textContent);

  function activeRows() {
    return Array.from(table.querySelectorAll("tr[data-job-active='true']"));
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    node.className = className;
    node.textContent = text;
    return node;
  }

  function showResult(row, job) {
    const cell = row.querySelector("[data-job-result]");
    cell.replaceChildren();
    if (job.download_url) {
      const link = element("a", "button button-small", labels.download);
      link.href = job.download_url;
      cell.append(link);
    }
    if (job.error) {
      cell.append(element("p", "mp-error", job.error));
      if (job.error_details) {
        const details = element("details", "mp-details", "");
        details.append(element("summary", "", labels.details));
        details.append(element("pre", "", job.error_details));
        cell.append(details);
      }
    }
  }

  function update(row, job) {
    const status = row.querySelector("[data-job-status]");
    status.textContent = job.status_label;
    status.className = "w-status mp-status--" + job.status;
    const bar = row.querySelector(".mp-progress");
    bar.className = "mp-progress mp-progress--" + job.status;
    bar.setAttribute("aria-valuenow", String(job.progress));
    bar.querySelector(".mp-progress__bar").style.width = job.progress + "%";
    row.querySelector("[data-job-percent]").textContent = job.progress + "%";
    if (!job.active) {
      row.dataset.jobActive = "false";
      showResult(row, job);
    }
  }

  async function poll() {
    const rows = activeRows();
    if (rows.length === 0) {
      return;
    }
    const query = new URLSearchParams(rows.map((row) => ["id", row.dataset.jobId]));
    let data;
    try {
      const response = await fetch(statusUrl + "?" + query.toString(), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok || response.redirected) {
        return; // logged out or no longer allowed: stop polling
      }
      data = await response.json();
    } catch {
      window.setTimeout(poll, interval); // a network hiccup: try again
      return;
    }
    for (const job of data.jobs) {
      const row = table.querySelector("tr[data-job-id='" + job.id + "']");
      if (row) {
        update(row, job);
      }
    }
    window.setTimeout(poll, interval);
  }

  window.setTimeout(poll, interval);
})();

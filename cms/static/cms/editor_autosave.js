/*
 * A submit of the editor (保存草稿, 发布, 提交审核) waits for an autosave on its
 * way, then goes where the autosave left the form.
 *
 * On a new page the autosave's first request goes to the add view and creates
 * the page; Wagtail's AutosaveController points the form at the page's edit
 * view only when that request's answer arrives. A submit in between would post
 * to the add view again and create the page a second time, which the slug
 * check refuses (a form error, or a 500 when the two requests overlap on the
 * server). On an existing page the same wait keeps the autosave and the submit
 * from writing revisions of one page at once.
 *
 * The autosave's `submitPromise` is set from the moment an edit schedules a
 * save until its answer (and the create view's hydration) has been handled.
 * Past WAIT_MS the submit goes ahead anyway: a hung request must not swallow
 * the editor's save. Once a submit goes, no autosave starts after it.
 */
(() => {
  const WAIT_MS = 20000;

  function autosaveOf(form) {
    const app = window.wagtail && window.wagtail.app;
    return app && app.getControllerForElementAndIdentifier(form, "w-autosave");
  }

  async function settled(autosave) {
    let timer;
    let timedOut = false;
    const timeUp = new Promise((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve();
      }, WAIT_MS);
    });
    // A save that finishes may start one more for edits made meanwhile.
    while (autosave.submitPromise && !timedOut) {
      await Promise.race([autosave.submitPromise, timeUp]);
    }
    clearTimeout(timer);
  }

  function holdWhileAutosaving(form) {
    let waiting = false;
    let passing = false;

    function resubmit(submitter) {
      // The button's spinner has disabled it by now, and a disabled submitter
      // is left out of the posted data: its name (action-publish…) goes in a
      // hidden input instead.
      if (submitter && submitter.name) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = submitter.name;
        input.value = submitter.value;
        form.append(input);
      }
      passing = true; // even past WAIT_MS, with the autosave still out
      form.requestSubmit();
      passing = false;
    }

    form.addEventListener(
      "submit",
      (event) => {
        const autosave = autosaveOf(form);
        if (!autosave) return;
        if (passing || !autosave.submitPromise) {
          // The form leaves with every edit. An autosave scheduled by an
          // edit just before (Draftail writes its input a moment after the
          // click) would post to the add view after the submit created the
          // page: none may start now (AutosaveController.save checks this).
          autosave.activeValue = false;
          return;
        }
        event.preventDefault();
        event.stopImmediatePropagation();
        if (waiting) return;
        waiting = true;
        // The submit carries every edit: no further autosave meanwhile.
        const wasActive = autosave.activeValue;
        autosave.activeValue = false;
        settled(autosave).then(() => {
          autosave.activeValue = wasActive;
          waiting = false;
          resubmit(event.submitter);
        });
      },
      true,
    );
  }

  function start() {
    document.querySelectorAll("form[data-edit-form]").forEach(holdWhileAutosaving);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

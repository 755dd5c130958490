// The course page's checklist (templates/admin/catalog/course/checklist.html).
// - A link to a field ("Write a description" → #id_description) moves the keyboard focus
//   there too, not only the view: the next key typed goes into the field.
// - The tools' form (Publish, Unpublish, Keep it free, Duplicate) is sent once: a second
//   click while the first is on its way would make a second copy of a course.
"use strict";
(function () {
  document.addEventListener("click", function (event) {
    const link = event.target.closest("a.lectern-goto");
    if (!link) return;
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    target.scrollIntoView({ block: "center" });
    if (!target.matches("input, select, textarea, button, [tabindex]")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus({ preventScroll: true });
  });

  const tools = document.getElementById("lectern-course-tools");
  if (!tools) return;
  tools.addEventListener("submit", function (event) {
    if (tools.dataset.sending) {
      event.preventDefault();
      return;
    }
    tools.dataset.sending = "1";
    if (event.submitter) event.submitter.setAttribute("aria-busy", "true");
  });
  // Back to this page from the history (bfcache): the form may be sent again.
  window.addEventListener("pageshow", function () {
    delete tools.dataset.sending;
  });
})();

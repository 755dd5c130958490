// Names for the Django admin's controls that come without a label, so a screen reader
// says what each one is (WCAG 4.1.2; axe "label").
//
// - A date-and-time field's two boxes get the field's name and "date" or "time".
// - The autocomplete widget (select2, e.g. a course's tags) draws its own search box
//   beside the real <select>: it gets the <select>'s label, and its list of chosen items
//   (a <ul> that also holds select2's "remove all" <span>) is marked as the list it is.
// Loaded on every admin page by templates/admin/base_site.html.
"use strict";
(function () {
  function text(element) {
    return element ? element.textContent.replace(/\s+/g, " ").trim() : "";
  }

  // A date-and-time field (a coupon's start) is two boxes after "Date:" and "Time:", and
  // the field's <label> points at neither: each gets "Starts at, date" and "…, time".
  function labelSplitDateTimes(root) {
    for (const field of root.querySelectorAll("p.datetime input:not([type=hidden])")) {
      if ((field.labels && field.labels.length) || field.hasAttribute("aria-label")) continue;
      const row = field.closest(".form-row");
      const label = row && row.querySelector("label:not([for])");
      const part = field.previousSibling && field.previousSibling.nodeType === Node.TEXT_NODE
        ? field.previousSibling.textContent.replace(/[\s:]+/g, " ").trim().toLowerCase()
        : "";
      const name = [text(label).replace(/:$/, ""), part].filter(Boolean).join(", ");
      if (name) field.setAttribute("aria-label", name);
    }
  }

  function labelAutocompletes(root) {
    for (const box of root.querySelectorAll(".select2-search__field:not([aria-label])")) {
      const container = box.closest(".select2-container");
      const select = container && container.previousElementSibling;
      const label = select && select.labels && select.labels[0];
      if (label) box.setAttribute("aria-label", text(label).replace(/:$/, ""));
    }
    for (const list of root.querySelectorAll("ul.select2-selection__rendered:not([role])")) {
      list.setAttribute("role", "list");
    }
  }

  function label() {
    labelSplitDateTimes(document);
    labelAutocompletes(document);
  }

  document.addEventListener("DOMContentLoaded", () => {
    label();
    // select2 redraws its box whenever the choice changes.
    new MutationObserver(() => labelAutocompletes(document)).observe(document.body, {
      childList: true,
      subtree: true,
    });
  });
})();

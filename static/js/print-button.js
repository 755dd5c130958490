// Buttons marked data-print-button print the page (a receipt). Hidden without JavaScript,
// where the browser's own Print does the same (the print stylesheet applies either way).
"use strict";
document.querySelectorAll("[data-print-button]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});

// After an HTMX swap: keep keyboard focus where the person was, and say what changed.
//
// Swapped content opts in with data attributes, so templates say what matters:
//   data-swap-focus     the element to focus when the swap removed the focused element
//                       (the new "Mark lesson as complete" button, the first review
//                       loaded); give it tabindex="-1" unless it is focusable anyway
//   data-swap-announce  text read out by the page's status region (#swap-status,
//                       role="status") once the new content is in place
// Focus moves only when it was inside the swapped element: a swap that the player or
// a filter started while focus is elsewhere leaves focus alone.
"use strict";
(function () {
  const focusWasInside = new WeakMap(); // request → the swap took focus with it

  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    const active = document.activeElement;
    const inside = Boolean(target && active && active !== document.body && target.contains(active));
    focusWasInside.set(event.detail.xhr, inside);
  });

  function announce(text) {
    const region = document.getElementById("swap-status");
    if (!region || !text) return;
    // Empty first, so the same words twice (two "Helpful" clicks) are read twice.
    region.textContent = "";
    setTimeout(() => { region.textContent = text; }, 50);
  }

  function withinOrSelf(element, selector) {
    if (!element.matches) return null;
    return element.matches(selector) ? element : element.querySelector(selector);
  }

  // Fired on each new top-level element of a swap (out-of-band ones included).
  document.addEventListener("htmx:afterSettle", (event) => {
    const element = event.target;
    const spoken = withinOrSelf(element, "[data-swap-announce]");
    if (spoken) announce(spoken.dataset.swapAnnounce);

    const lost = !document.activeElement || document.activeElement === document.body;
    if (!lost || !focusWasInside.get(event.detail.xhr)) return;
    const next = withinOrSelf(element, "[data-swap-focus]");
    if (!next) return; // an out-of-band part of the swap, say: another element names it
    next.focus();
    focusWasInside.delete(event.detail.xhr); // one element per swap takes focus
  });
})();

// The curriculum builder on the course's admin page (templates/admin/catalog/course/builder.html).
//
// Without this file every control is a plain form POST and works. With it:
// - drag and drop: a lesson (within its section or into another) or a section, by its
//   handle; each drop is ONE POST to the builder's place URL (data-place-url) through
//   htmx, which swaps #curriculum with the answer. The ↑/↓ buttons and "Move to section"
//   are the keyboard's way to do the same.
// - after each swap of #curriculum: its data-announce is read out by #curriculum-status
//   (outside the swapped element, so the live region persists), and focus goes to the
//   element named by data-focus when it was inside the builder (the same ↑ button after
//   a move, the field that was refused, the new section's "New lesson" field).
// - a refused change (HTTP 400) is swapped in too: it carries the message to show.
// - "curriculum-changed" on <body> (an upload made a lesson) reloads #curriculum from
//   data-reload-url; one that comes while a reload is on its way reloads once more after
//   it, so the last lesson of a batch always shows (an htmx trigger with hx-sync would
//   drop it, and a queued one would fire from the element the first reload replaced).
"use strict";
(function () {
  const ROOT = "curriculum";
  const focusWasInside = new WeakMap(); // request → focus was inside #curriculum

  function root() {
    return document.getElementById(ROOT);
  }

  function announce(text) {
    const region = document.getElementById("curriculum-status");
    if (!region || !text) return;
    // Emptied first, so the same words twice ("already first") are read twice.
    region.textContent = "";
    setTimeout(() => { region.textContent = text; }, 50);
  }

  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (!target || target.id !== ROOT) return;
    if (event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true; // the builder with the reason it refused
      event.detail.isError = false;
    }
    const active = document.activeElement;
    focusWasInside.set(
      event.detail.xhr,
      Boolean(active && active !== document.body && target.contains(active)),
    );
  });

  document.addEventListener("htmx:afterSettle", (event) => {
    const element = root();
    if (!element || !(event.target === element || event.target.contains(element))) return;
    announce(element.dataset.announce);
    // Only when focus was in the builder (a drop or a reload after an upload leaves it
    // alone). htmx may have put it back on an element of the same id: the server's
    // choice wins (after "Add section", the new section's lesson field).
    const id = element.dataset.focus;
    if (!id || !focusWasInside.get(event.detail.xhr)) return;
    const next = document.getElementById(id);
    if (next) {
      const closed = next.closest("details:not([open])");
      if (closed && !next.matches("summary")) closed.open = true;
      next.focus();
    }
    focusWasInside.delete(event.detail.xhr);
  });

  let reloading = false;
  let reloadAgain = false;

  function reload() {
    const element = root();
    if (!element || !element.dataset.reloadUrl || typeof htmx === "undefined") return;
    if (reloading) {
      reloadAgain = true;
      return;
    }
    reloading = true;
    // The builder is busy until the last reload is in: assistive technology (and the
    // tests) hold on; a button pressed meanwhile is dropped by the builder's hx-sync.
    const builder = element.closest(".curriculum-builder");
    if (builder) builder.setAttribute("aria-busy", "true");
    htmx
      .ajax("GET", element.dataset.reloadUrl, { target: "#" + ROOT, swap: "outerHTML" })
      .finally(() => {
        reloading = false;
        if (reloadAgain) {
          reloadAgain = false;
          reload();
        } else if (builder) {
          builder.removeAttribute("aria-busy");
        }
      });
  }
  // The event does not bubble (bulk-upload.js sends it on <body>), and the admin loads
  // this file in <head>, before <body> exists.
  const listen = () => document.body.addEventListener("curriculum-changed", reload);
  if (document.body) listen();
  else document.addEventListener("DOMContentLoaded", listen);

  // --- Drag and drop -------------------------------------------------------------------
  let drag = null; // {kind: "lesson" | "section", item: <li>}

  function listFor(target) {
    if (!drag || !target.closest) return null;
    const inside = target.closest("#" + ROOT);
    if (!inside) return null;
    if (drag.kind === "section") return target.closest("[data-sections]");
    const list = target.closest("[data-lessons]");
    if (list) return list;
    const section = target.closest("[data-section]"); // its heading, its "add" form
    return section ? section.querySelector("[data-lessons]") : null;
  }

  function itemsOf(list) {
    const selector = drag.kind === "lesson" ? ":scope > [data-lesson]" : ":scope > [data-section]";
    return Array.from(list.querySelectorAll(selector)).filter((item) => item !== drag.item);
  }

  function indexAt(list, y) {
    let index = 0;
    for (const item of itemsOf(list)) {
      const box = item.getBoundingClientRect();
      if (box.top + box.height / 2 < y) index += 1;
    }
    return index;
  }

  function clearMarkers() {
    document.querySelectorAll(".drop-before, .drop-after, .drop-into").forEach((element) => {
      element.classList.remove("drop-before", "drop-after", "drop-into");
    });
  }

  function showMarker(list, index) {
    clearMarkers();
    const items = itemsOf(list);
    if (!items.length) list.classList.add("drop-into");
    else if (index < items.length) items[index].classList.add("drop-before");
    else items[items.length - 1].classList.add("drop-after");
  }

  document.addEventListener("dragstart", (event) => {
    const handle = event.target.closest && event.target.closest("#" + ROOT + " [data-drag]");
    if (!handle) return;
    const kind = handle.dataset.drag;
    const item = handle.closest(kind === "lesson" ? "[data-lesson]" : "[data-section]");
    if (!item) return;
    drag = { kind, item };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.id); // some browsers drag nothing without data
    event.dataTransfer.setDragImage(item, 16, 16);
    item.classList.add("is-dragging");
  });

  document.addEventListener("dragover", (event) => {
    const list = listFor(event.target);
    if (!list) return;
    event.preventDefault(); // this list accepts the drop
    event.dataTransfer.dropEffect = "move";
    showMarker(list, indexAt(list, event.clientY));
  });

  document.addEventListener("drop", (event) => {
    const list = listFor(event.target);
    if (!list) return;
    event.preventDefault();
    const index = indexAt(list, event.clientY);
    const { kind, item } = drag;
    end();
    const values = kind === "lesson"
      ? { lesson: item.dataset.lesson, section: list.dataset.lessons, index }
      : { section: item.dataset.section, index };
    const from = item.parentElement;
    const unchanged = from === list && Array.from(from.children).indexOf(item) === index;
    const element = root();
    if (unchanged || !element || typeof htmx === "undefined") return;
    htmx.ajax("POST", element.dataset.placeUrl, {
      source: element, target: element, swap: "outerHTML", values,
    });
  });

  function end() {
    if (drag) drag.item.classList.remove("is-dragging");
    drag = null;
    clearMarkers();
  }
  document.addEventListener("dragend", end);
})();

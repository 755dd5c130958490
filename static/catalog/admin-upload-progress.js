// Show upload progress when an admin form sends a file (lesson videos can be large).
// The form is sent with XMLHttpRequest (same fields, same CSRF token); the server's
// answer replaces the page exactly as a normal submit would. Without JS the form
// submits normally.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("#content-main form[enctype='multipart/form-data']");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;

  form.addEventListener("submit", (event) => {
    const files = [...form.querySelectorAll("input[type=file]")].flatMap((i) => [...i.files]);
    const total = files.reduce((sum, f) => sum + f.size, 0);
    if (total < 1024 * 1024) return; // small: a normal submit is fine

    event.preventDefault();
    const data = new FormData(form);
    if (event.submitter && event.submitter.name) {
      data.append(event.submitter.name, event.submitter.value);
    }
    const box = document.createElement("div");
    box.className = "lectern-upload";
    box.setAttribute("role", "status");
    box.innerHTML = '<p>Uploading… <span class="lectern-upload-pct">0 %</span></p>' +
      '<progress max="100" value="0" aria-label="Upload progress"></progress>';
    form.prepend(box);
    box.scrollIntoView({ block: "center" });
    form.querySelectorAll("[type=submit]").forEach((b) => { b.disabled = true; });

    const bar = box.querySelector("progress");
    const pct = box.querySelector(".lectern-upload-pct");
    const request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const value = Math.round((e.loaded / e.total) * 100);
      bar.value = value;
      pct.textContent = value + " %" + (value === 100 ? " — checking the video…" : "");
    });
    request.addEventListener("load", () => {
      if (request.responseURL && request.responseURL !== window.location.href) {
        window.location.assign(request.responseURL); // saved: follow the admin's redirect
      } else {
        document.open();
        document.write(request.responseText); // errors: show the form with messages
        document.close();
      }
    });
    request.addEventListener("error", () => {
      box.querySelector("p").textContent = "The upload failed (network error). Please try again.";
      form.querySelectorAll("[type=submit]").forEach((b) => { b.disabled = false; });
    });
    request.send(data);
  });
});

// Many lesson videos at once (admin/catalog/course/upload.html, one drop zone per
// section of the curriculum builder). Each chosen or dropped file gets a row: its name,
// an editable title (from the file name), a progress bar and, once sent, the lesson made
// or the reason it was refused. "Upload" sends the queued files one after another (they
// share the bandwidth anyway, so the first lesson is ready sooner than side by side):
//   local mode: the file is posted to Lectern, which checks it and makes the lesson;
//   s3 mode:    Lectern signs a POST to the bucket, the file goes there directly, then
//               Lectern checks the object by its content and makes the lesson.
// Each new lesson dispatches "curriculum-changed" on <body>: the builder reloads itself.
// The list of rows keeps its place across that reload (hx-preserve; and reattached
// below should the builder's swap not preserve it). Without JavaScript the zone is a
// plain form that posts the files to Lectern.
"use strict";
(function () {
  const PARALLEL = 1;
  const TYPES = { mp4: "video/mp4", m4v: "video/x-m4v", webm: "video/webm" };
  const waiting = []; // rows whose upload may start
  const live = new Map(); // row element → {file, zone settings}, until finished
  const rows = new Set(); // every row on the page, to put back after a reload
  let sending = 0;
  let rowCount = 0;

  function zoneOf(element) {
    return element && element.closest ? element.closest("[data-bulk-upload]") : null;
  }

  function listFor(section) {
    return document.getElementById("lectern-upload-list-" + section);
  }

  function settingsOf(zone) {
    const token = zone.querySelector("[name=csrfmiddlewaretoken]");
    return {
      section: zone.dataset.section,
      mode: zone.dataset.mode,
      uploadUrl: zone.getAttribute("action"),
      signUrl: zone.dataset.signUrl,
      completeUrl: zone.dataset.completeUrl,
      maxBytes: Number(zone.dataset.maxBytes),
      maxText: zone.dataset.maxText,
      csrf: token ? token.value : "",
    };
  }

  function sizeText(bytes) {
    const units = ["bytes", "KB", "MB", "GB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit ? value.toFixed(1) : value) + " " + units[unit];
  }

  // The server's rule (catalog.uploads.title_from_filename), for the prefilled title.
  function titleFrom(name) {
    let stem = name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : name;
    stem = stem.replace(/_/g, " ").replace(/(?<!\d)[-.]|[-.](?!\d)/g, " ");
    return stem.split(/\s+/).filter(Boolean).join(" ").slice(0, 120) || "Untitled video";
  }

  function typeOf(file) {
    if (file.type) return file.type;
    const extension = file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";
    return TYPES[extension] || "application/octet-stream";
  }

  // --- Rows -----------------------------------------------------------------------------
  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function makeRow(zone, file) {
    rowCount += 1;
    const id = "lectern-upload-" + zone.dataset.section + "-" + rowCount;
    const row = element("li", {
      class: "lectern-upload-item",
      "data-state": "queued",
      "data-section": zone.dataset.section,
    });
    const head = element("p", { class: "lectern-upload-file" });
    head.append(
      element("span", { class: "lectern-upload-name" }, file.name),
      " ",
      element("span", { class: "lectern-upload-size" }, "(" + sizeText(file.size) + ")"),
    );
    const label = element("label", { for: id + "-title" }, "Lesson title");
    const title = element("input", {
      type: "text",
      id: id + "-title",
      class: "lectern-upload-title",
      maxlength: "120",
      autocomplete: "off",
    });
    title.value = titleFrom(file.name);
    const remove = element(
      "button",
      { type: "button", class: "button lectern-upload-remove", "aria-label": "Remove " + file.name + " from the list" },
      "Remove",
    );
    const progress = element("progress", { max: "100", value: "0", "aria-label": "Upload of " + file.name });
    const percent = element("span", { class: "lectern-upload-percent", "aria-hidden": "true" }, "");
    const meter = element("div", { class: "lectern-upload-meter" });
    meter.append(progress, percent);
    const status = element("p", { class: "lectern-upload-status", role: "status" }, "Ready to upload.");
    const titleLine = element("div", { class: "lectern-upload-title-line" });
    titleLine.append(label, title, remove);
    row.append(head, titleLine, meter, status);
    live.set(row, { file, settings: settingsOf(zone) });
    rows.add(row);
    const settings = live.get(row).settings;
    if (file.size > settings.maxBytes) {
      finish(row, "refused", "Refused: the video is " + sizeText(file.size) + "; the limit is " + settings.maxText + ".");
    } else if (file.size === 0) {
      finish(row, "refused", "Refused: the file is empty.");
    }
    return row;
  }

  function parts(row) {
    return {
      title: row.querySelector(".lectern-upload-title"),
      remove: row.querySelector(".lectern-upload-remove"),
      progress: row.querySelector("progress"),
      percent: row.querySelector(".lectern-upload-percent"),
      status: row.querySelector(".lectern-upload-status"),
    };
  }

  function setState(row, state, message) {
    row.dataset.state = state;
    if (message !== undefined) parts(row).status.textContent = message;
  }

  function showProgress(row, share) {
    const { progress, percent } = parts(row);
    const value = Math.round(share * 100);
    progress.value = value;
    percent.textContent = value + " %";
  }

  // Done or refused: the title box goes (the status names the lesson made).
  function finish(row, state, message) {
    const { progress, percent } = parts(row);
    setState(row, state, message);
    row.querySelector(".lectern-upload-title-line").remove();
    if (state === "done") {
      progress.value = 100;
      percent.textContent = "100 %";
    } else {
      progress.removeAttribute("value"); // nothing to measure any more
      progress.hidden = true;
      percent.textContent = "";
    }
    live.delete(row);
  }

  function queuedRows(zone) {
    const list = listFor(zone.dataset.section);
    return list ? [...list.querySelectorAll(".lectern-upload-item[data-state=queued]")] : [];
  }

  function updateButton(zone) {
    const button = zone.querySelector("[data-upload-start]");
    const count = queuedRows(zone).length;
    if (button) button.textContent = count > 1 ? "Upload " + count + " videos" : "Upload";
  }

  function addFiles(zone, files) {
    const list = listFor(zone.dataset.section);
    if (!list || !files.length) return;
    for (const file of files) list.append(makeRow(zone, file));
    updateButton(zone);
  }

  // --- Requests -----------------------------------------------------------------------
  // XMLHttpRequest, not fetch: fetch reports no upload progress.
  function send(method, url, body, { headers = {}, onProgress } = {}) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open(method, url);
      for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value);
      if (onProgress) {
        request.upload.addEventListener("progress", (event) => {
          if (event.lengthComputable && event.total) onProgress(event.loaded / event.total);
        });
      }
      request.addEventListener("load", () => resolve(request));
      request.addEventListener("error", () => reject(new Error("network")));
      request.addEventListener("abort", () => reject(new Error("network")));
      request.send(body);
    });
  }

  function lectern(url, data, settings, onProgress) {
    const body = new FormData();
    for (const [name, value] of Object.entries(data)) body.append(name, value);
    return send("POST", url, body, {
      headers: { "X-CSRFToken": settings.csrf, Accept: "application/json" },
      onProgress,
    }).then((request) => {
      let answer = null;
      try {
        answer = JSON.parse(request.responseText);
      } catch (error) {
        answer = null;
      }
      if (request.status === 200 && answer && answer.error === undefined) return answer;
      throw new Error((answer && answer.error) || problem(request));
    });
  }

  function problem(request) {
    if ((request.responseURL || "").includes("/login/") || request.status === 403) {
      return "Your session has ended or the page is out of date: reload the page (sign in again if asked), then upload this file again.";
    }
    if (request.status === 404) return "This section no longer exists or is not yours: reload the page.";
    if (request.status === 413) return "The file is larger than the server accepts.";
    return "The server could not take the file (error " + request.status + "). Please try again later.";
  }

  function bucketProblem(request) {
    const text = request.responseText || "";
    const message = /<Message>([^<]*)<\/Message>/.exec(text);
    return "The storage refused the file" + (message ? ": " + message[1] : " (error " + request.status + ")") + ".";
  }

  function uploadLocal(row, item, title) {
    return lectern(
      item.settings.uploadUrl,
      { title, file: item.file },
      item.settings,
      (share) => {
        showProgress(row, share);
        if (share >= 1) setState(row, "checking", "Checking the video…");
      },
    );
  }

  async function uploadDirect(row, item, title) {
    const { settings, file } = item;
    const signed = await lectern(
      settings.signUrl,
      { filename: file.name, size: String(file.size), content_type: typeOf(file), title },
      settings,
    );
    const body = new FormData();
    for (const [name, value] of Object.entries(signed.fields)) body.append(name, value);
    body.append("file", file); // last: S3 ignores fields after the file
    let failure = null;
    try {
      const request = await send("POST", signed.url, body, { onProgress: (share) => showProgress(row, share) });
      if (request.status < 200 || request.status >= 300) failure = bucketProblem(request);
    } catch (error) {
      failure =
        "The file could not reach the storage (a network error, or the storage does not " +
        "accept uploads from this site yet: tell the Lectern team).";
    }
    setState(row, "checking", failure ? "Cleaning up…" : "Checking the video…");
    const done = lectern(settings.completeUrl, { key: signed.key, title }, settings);
    if (!failure) return done;
    await done.catch(() => null); // tells Lectern to forget the upload
    throw new Error(failure);
  }

  async function upload(row) {
    const item = live.get(row);
    if (!item) return;
    const title = parts(row).title.value.trim();
    setState(row, "uploading", "Uploading…");
    try {
      const lesson =
        item.settings.mode === "s3" ? await uploadDirect(row, item, title) : await uploadLocal(row, item, title);
      const draft = lesson.published ? "" : " It is saved as a draft.";
      finish(row, "done", "Added the lesson “" + lesson.title + "” (" + lesson.duration_text + ")." + draft);
      document.body.dispatchEvent(new CustomEvent("curriculum-changed", { detail: { lesson } }));
    } catch (error) {
      const reason =
        error.message === "network" ? "The upload failed (network error). Please try again." : error.message;
      finish(row, "refused", "Not added: " + reason);
    }
  }

  function pump() {
    while (sending < PARALLEL && waiting.length) {
      const row = waiting.shift();
      sending += 1;
      upload(row).finally(() => {
        sending -= 1;
        pump();
      });
    }
  }

  function start(zone) {
    const queued = queuedRows(zone);
    const input = zone.querySelector("input[type=file]");
    if (!queued.length) {
      if (input) input.focus();
      return;
    }
    for (const row of queued) {
      const { title, remove } = parts(row);
      title.readOnly = true;
      if (remove) remove.remove();
      setState(row, "waiting", "Waiting to upload…");
      waiting.push(row);
    }
    if (input) input.value = "";
    updateButton(zone);
    pump();
  }

  // --- Events (delegated: the builder replaces its markup when it reloads) ---------------
  document.addEventListener("change", (event) => {
    const zone = zoneOf(event.target);
    if (!zone || event.target.type !== "file") return;
    addFiles(zone, [...event.target.files]);
    event.target.value = ""; // the rows hold the files; choosing again adds more
  });

  document.addEventListener("submit", (event) => {
    const zone = zoneOf(event.target);
    if (!zone || event.target !== zone) return;
    event.preventDefault();
    start(zone);
  });

  document.addEventListener("click", (event) => {
    const remove = event.target.closest && event.target.closest(".lectern-upload-remove");
    if (!remove) return;
    const row = remove.closest(".lectern-upload-item");
    const next = row.nextElementSibling || row.previousElementSibling;
    live.delete(row);
    rows.delete(row);
    row.remove();
    const zone = document.querySelector('[data-bulk-upload][data-section="' + row.dataset.section + '"]');
    const nextTitle = next && parts(next).title;
    if (nextTitle && !nextTitle.readOnly) nextTitle.focus();
    else if (zone) zone.querySelector("input[type=file]").focus();
    if (zone) updateButton(zone);
  });

  function carriesFiles(event) {
    return event.dataTransfer && [...event.dataTransfer.types].includes("Files");
  }

  for (const type of ["dragenter", "dragover"]) {
    document.addEventListener(type, (event) => {
      if (!carriesFiles(event) || !document.querySelector("[data-bulk-upload]")) return;
      event.preventDefault(); // a file dropped beside a zone must not replace the page
      const zone = zoneOf(event.target);
      event.dataTransfer.dropEffect = zone ? "copy" : "none";
      if (zone) zone.classList.add("lectern-dropzone-over");
    });
  }

  document.addEventListener("dragleave", (event) => {
    const zone = zoneOf(event.target);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("lectern-dropzone-over");
  });

  document.addEventListener("drop", (event) => {
    if (!carriesFiles(event) || !document.querySelector("[data-bulk-upload]")) return;
    event.preventDefault();
    const zone = zoneOf(event.target);
    if (!zone) return;
    zone.classList.remove("lectern-dropzone-over");
    addFiles(zone, [...event.dataTransfer.files]);
  });

  // The builder reloaded: the rows go back into their section's list if the swap did
  // not keep it (hx-preserve normally does); a deleted section's rows go with it.
  document.addEventListener("htmx:afterSettle", () => {
    for (const row of rows) {
      if (document.contains(row)) continue;
      const list = listFor(row.dataset.section);
      if (list) list.append(row);
      else if (!live.has(row)) rows.delete(row);
    }
    document.querySelectorAll("[data-bulk-upload]").forEach(updateButton);
  });
})();

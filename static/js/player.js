// Lesson player: resume where you left off, and report what was really watched.
//
// Every few seconds while playing (and on pause, end, and leaving the page) the player
// sends its position and the segment played since the last report. Seeking closes the
// segment, so skipping ahead adds nothing to the watched time the server keeps.
"use strict";
(function () {
  const REPORT_EVERY_MS = 5000;
  const SEEK_JUMP = 1.5; // seconds between two timeupdates that mean "the viewer seeked"

  function init() {
    const video = document.getElementById("lesson-video");
    if (!video || !video.dataset.progressUrl) return;
    const url = video.dataset.progressUrl;
    const csrf = video.dataset.csrf;
    const start = parseFloat(video.dataset.start || "0");
    let segmentStart = null; // where the current continuous play began
    let last = null; // the latest time seen while playing
    let timer = null;

    function resume() {
      if (start > 0 && start < video.duration - 3) video.currentTime = start;
    }
    // From the browser's cache the metadata may be in before this script runs.
    if (video.readyState >= HTMLMediaElement.HAVE_METADATA) resume();
    else video.addEventListener("loadedmetadata", resume, { once: true });

    function payload() {
      const data = { position: Math.max(0, video.currentTime || 0) };
      if (segmentStart !== null && last !== null && last > segmentStart) {
        data.start = segmentStart;
        data.end = last;
      }
      return data;
    }

    // Segments the server did not acknowledge (offline, or briefly unavailable), oldest
    // first: sent again once it answers. Its union of segments makes repeats harmless.
    const pending = [];
    const MAX_PENDING = 120; // ten minutes of reports

    function post(data) {
      return fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(data),
        credentials: "same-origin",
      }).then((response) => {
        if (!response.ok) {
          throw Object.assign(new Error(`progress not saved: ${response.status}`), {
            status: response.status,
          });
        }
        return response.json();
      });
    }

    // A refusal (4xx) would be refused again; what failed in transit or on a 5xx is kept.
    function retryable(failure) {
      return !failure || failure.status === undefined || failure.status >= 500;
    }

    function keep(data, failure) {
      if (data.end === undefined || !retryable(failure)) return;
      pending.push({ start: data.start, end: data.end });
      if (pending.length > MAX_PENDING) pending.shift();
    }

    function sendPending() {
      const next = pending.shift();
      if (!next) return;
      // The resume point is where the viewer is now, not where the old segment ended.
      const data = { ...next, position: Math.max(0, video.currentTime || 0) };
      post(data).then(sendPending, (failure) => {
        if (retryable(failure)) pending.unshift(next);
      });
    }

    function beacon(data) {
      const form = new FormData();
      Object.entries(data).forEach(([k, v]) => form.append(k, v.toFixed(2)));
      form.append("csrfmiddlewaretoken", csrf);
      navigator.sendBeacon(url, form);
    }

    let lastPosition = null; // the position the latest report carried

    function report(useBeacon) {
      const data = payload();
      // Leaving a page fires visibilitychange and pagehide: nothing new, no second save.
      const moved = lastPosition === null || Math.abs(data.position - lastPosition) >= 0.5;
      if (data.end === undefined && !moved && !pending.length) return;
      lastPosition = data.position;
      if (data.end !== undefined) segmentStart = last; // the next report starts here
      if (useBeacon && navigator.sendBeacon) {
        pending.splice(0).forEach((old) => beacon({ ...old, position: data.position }));
        beacon(data);
        return;
      }
      post(data)
        .then((result) => {
          if (result.completed_now && window.htmx) {
            // Refresh the status block (course %, button, completion) and the sidebar tick.
            window.htmx.ajax("GET", video.dataset.statusUrl, {
              target: "#lesson-status", swap: "outerHTML",
            });
          }
          sendPending();
        })
        .catch((failure) => keep(data, failure));
    }

    video.addEventListener("playing", () => {
      segmentStart = video.currentTime;
      last = video.currentTime;
      clearInterval(timer);
      timer = setInterval(() => report(false), REPORT_EVERY_MS);
    });
    video.addEventListener("timeupdate", () => {
      if (video.paused || video.seeking || last === null) return;
      const now = video.currentTime;
      if (Math.abs(now - last) > SEEK_JUMP) {
        segmentStart = now; // a jump: what lies between was not watched
      }
      last = now;
    });
    video.addEventListener("seeking", () => {
      if (segmentStart !== null && last !== null && last > segmentStart) report(false);
      segmentStart = null;
      last = null;
    });
    video.addEventListener("seeked", () => {
      if (!video.paused) { segmentStart = video.currentTime; last = video.currentTime; }
    });
    video.addEventListener("pause", () => { clearInterval(timer); report(false); });
    video.addEventListener("ended", () => { clearInterval(timer); last = video.duration; report(false); });
    window.addEventListener("pagehide", () => report(true));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") report(true);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

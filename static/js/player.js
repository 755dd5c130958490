// Lesson player: resume where you left off, and report what was really watched.
//
// Every few seconds while playing (and on pause, end, and leaving the page) the player
// sends its position and the segment played since the last report. Seeking closes the
// segment, so skipping ahead adds nothing to the watched time the server keeps.
"use strict";
(function () {
  const REPORT_EVERY_MS = 5000;
  const SEEK_JUMP = 1.5; // seconds between two timeupdates that mean "the viewer seeked"
  const MAX_SEGMENT = 38; // the server takes at most 40 s of new play per report

  function init() {
    const video = document.getElementById("lesson-video");
    if (!video || !video.dataset.progressUrl) return;
    const url = video.dataset.progressUrl;
    const csrf = video.dataset.csrf;
    const start = parseFloat(video.dataset.start || "0");
    let segmentStart = null; // where the current continuous play began
    let last = null; // the latest time seen while playing
    let timer = null;

    video.addEventListener("loadedmetadata", () => {
      if (start > 0 && start < video.duration - 3) video.currentTime = start;
    }, { once: true });

    function payload() {
      const data = { position: Math.max(0, video.currentTime || 0) };
      if (segmentStart !== null && last !== null && last > segmentStart) {
        data.start = segmentStart;
        data.end = last;
      }
      return data;
    }

    function report(useBeacon) {
      const data = payload();
      if (data.end !== undefined) segmentStart = last; // the next report starts here
      if (useBeacon && navigator.sendBeacon) {
        const form = new FormData();
        Object.entries(data).forEach(([k, v]) => form.append(k, v.toFixed(2)));
        form.append("csrfmiddlewaretoken", csrf);
        navigator.sendBeacon(url, form);
        return;
      }
      fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(data),
        credentials: "same-origin",
      })
        .then((response) => {
          if (!response.ok) throw new Error(`progress not saved: ${response.status}`);
          return response.json();
        })
        .then((result) => {
          if (result && result.completed_now && window.htmx) {
            // Refresh the status block (course %, button, completion) and the sidebar tick.
            window.htmx.ajax("GET", video.dataset.statusUrl, {
              target: "#lesson-status", swap: "outerHTML",
            });
          }
        })
        .catch(() => sendAgain(data));
    }

    // Not saved (offline, or the server briefly unavailable): if play went on from
    // where that segment ended, the next report covers it again, within the limit.
    function sendAgain(data) {
      if (data.end === undefined || segmentStart === null) return;
      if (Math.abs(segmentStart - data.end) < 0.01 && last - data.start <= MAX_SEGMENT) {
        segmentStart = data.start;
      }
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

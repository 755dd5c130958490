// The lesson video: its stream (hls.js, the browser's own HLS, or the original file), the
// quality, speed and captions controls, keyboard shortcuts and the transcript.
//
// Progress reporting and resuming stay in player.js, which only listens to the <video>
// element's events: they are the same whichever way the video is streamed.
"use strict";
(function () {
  const SEEK_STEP = 5; // seconds, for ← and →
  const RATE_KEY = "lectern.playbackRate";
  const CAPTIONS_KEY = "lectern.captions"; // "off", or the language of the captions last shown
  const HLS_TYPE = "application/vnd.apple.mpegurl";

  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function store(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* storage off: forget it */ }
  }

  function clock(seconds) {
    const total = Math.max(0, Math.floor(seconds || 0));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = String(total % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  }

  // A polite live region: what a shortcut did, for people who cannot see it.
  function announcer() {
    const region = document.getElementById("player-announce");
    let timer = null;
    return function announce(text) {
      if (!region) return;
      region.textContent = "";
      clearTimeout(timer);
      timer = setTimeout(() => { region.textContent = text; }, 50); // read again if repeated
    };
  }

  function showError(message) {
    const box = document.getElementById("player-error");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  }

  // --- The stream --------------------------------------------------------------------
  // hls.js wherever Media Source Extensions work (hls.js's own advice: the browser's HLS,
  // where it exists at all, offers no quality choice; Chromium now answers "maybe" to
  // canPlayType(HLS) too); the browser's own HLS where hls.js cannot run (older iPhones);
  // else the original file.
  function startStream(video, quality) {
    const url = video.dataset.hlsUrl;
    if (!url) {
      video.dataset.engine = "file";
      return;
    }
    const sources = Array.from(video.querySelectorAll("source"));
    const file = sources.find((source) => source.type !== HLS_TYPE);
    const fileUrl = file ? file.src : "";
    sources.forEach((source) => source.remove()); // (the choice without JavaScript)
    const Hls = window.Hls;
    if (Hls && Hls.isSupported()) {
      startHls(video, url, fileUrl, quality);
      return;
    }
    video.preload = "metadata";
    if (video.canPlayType(HLS_TYPE)) {
      video.dataset.engine = "native";
      video.src = url;
    } else if (fileUrl) {
      playFile(video, fileUrl, 0);
    } else {
      showError("This browser cannot play this video. A current Firefox, Chrome, Edge or Safari can.");
    }
  }

  function playFile(video, fileUrl, at) {
    video.dataset.engine = "file";
    video.src = fileUrl;
    if (at > 0) {
      video.addEventListener("loadedmetadata", () => { video.currentTime = at; }, { once: true });
    }
  }

  function startHls(video, url, fileUrl, quality) {
    const Hls = window.Hls;
    const start = parseFloat(video.dataset.start || "0");
    const duration = parseFloat(video.dataset.duration || "0");
    const hls = new Hls({
      // The transmuxer worker is a file of our own origin: the Content Security Policy
      // allows no blob: worker, which is how hls.js would start its bundled copy.
      workerPath: video.dataset.hlsWorker,
      // "Auto" fetches no more pixels than the player shows.
      capLevelToPlayerSize: true,
      // Load the resume point first (player.js's rule; it seeks there too).
      startPosition: start > 0 && (!duration || start < duration - 3) ? start : -1,
      backBufferLength: 60,
    });

    // Like preload="metadata": until the viewer first plays, fetch what shows the frame
    // at the playhead, not the half-minute hls.js would buffer ahead.
    let played = false;
    let idle = false;
    function covered() {
      const now = video.currentTime;
      for (let i = 0; i < video.buffered.length; i++) {
        if (video.buffered.start(i) <= now + 0.5 && now < video.buffered.end(i)) return true;
      }
      return false;
    }
    function rest() {
      if (played || idle || !video.paused || !covered()) return;
      idle = true;
      hls.stopLoad();
    }
    function wake() {
      if (!idle) return;
      idle = false;
      hls.startLoad(video.currentTime);
    }
    hls.on(Hls.Events.FRAG_BUFFERED, rest);
    video.addEventListener("seeked", rest);
    video.addEventListener("seeking", () => { if (!covered()) wake(); });
    video.addEventListener("play", () => { played = true; wake(); });

    let recovered = false;
    hls.on(Hls.Events.ERROR, (event, data) => {
      if (!data.fatal) return; // hls.js retries those itself
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
        recovered = true;
        hls.recoverMediaError();
        return;
      }
      const at = video.currentTime;
      video.pause(); // player.js reports the position before the source goes
      hls.destroy();
      quality.hide();
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        // Most likely the signed links expired (a page left open for hours) or the
        // connection dropped: a reload signs new ones and resumes where progress was saved.
        showError("The video stopped loading. Check your connection, then reload the page to continue.");
      } else if (fileUrl) {
        playFile(video, fileUrl, at);
      } else {
        showError("The video could not be played. Reload the page to try again.");
      }
    });
    quality.attach(hls, video, wake);
    hls.loadSource(url);
    hls.attachMedia(video);
    video.dataset.engine = "hls.js";
  }

  // --- Quality: "Auto" (hls.js's choice, which it names) or one rendition ------------------
  function qualityControl() {
    const control = document.getElementById("player-quality-control");
    const select = document.getElementById("player-quality");
    const auto = select ? select.options[0] : null;
    function name(level) {
      return level.height ? `${level.height}p` : `${Math.round(level.bitrate / 1000)} kbps`;
    }
    return {
      hide() { if (control) control.hidden = true; },
      attach(hls, video, wake) {
        if (!select) return;
        const Hls = window.Hls;
        hls.on(Hls.Events.MANIFEST_PARSED, () => {
          const levels = hls.levels.map((level, index) => ({ level, index, label: name(level) }));
          if (levels.length < 2) return;
          levels.sort((a, b) => b.level.height - a.level.height || b.level.bitrate - a.level.bitrate);
          levels.forEach(({ level, index, label }) => {
            const twin = levels.some((other) => other.index !== index && other.label === label);
            const text = twin ? `${label} (${Math.round(level.bitrate / 1000)} kbps)` : label;
            select.add(new Option(text, String(index)));
          });
          control.hidden = false;
        });
        function nameAuto() {
          const level = hls.levels[hls.currentLevel];
          auto.text = hls.autoLevelEnabled && level ? `Auto (${name(level)})` : "Auto";
        }
        hls.on(Hls.Events.LEVEL_SWITCHED, nameAuto);
        // A paused video keeps showing the old frame: seek to it again once the chosen
        // rendition is in, so the choice shows at once.
        let refresh = null;
        hls.on(Hls.Events.FRAG_BUFFERED, (event, data) => {
          if (refresh === null || data.frag.level !== refresh) return;
          refresh = null;
          if (video.paused) video.currentTime = video.currentTime;
        });
        select.addEventListener("change", () => {
          const level = parseInt(select.value, 10);
          if (level < 0) {
            hls.nextLevel = -1; // back to automatic, without a stall
          } else {
            hls.currentLevel = level; // at once: what is buffered is fetched again
            refresh = level;
            wake();
          }
          nameAuto();
        });
      },
    };
  }

  // --- Speed, kept for the next lesson --------------------------------------------------
  function setUpSpeed(video) {
    const select = document.getElementById("player-speed");
    if (!select) return;
    const offered = (rate) => Array.from(select.options).some((o) => parseFloat(o.value) === rate);
    function apply(rate) {
      // The default rate too: loading a source (hls.js attaching) resets the rate to it.
      video.defaultPlaybackRate = rate;
      video.playbackRate = rate;
    }
    const saved = parseFloat(stored(RATE_KEY));
    if (offered(saved)) apply(saved);
    select.value = String(video.playbackRate);
    select.addEventListener("change", () => {
      const rate = parseFloat(select.value);
      apply(rate);
      store(RATE_KEY, String(rate));
    });
    video.addEventListener("ratechange", () => {
      // The browser's own menu may set a rate we do not list (then nothing is selected).
      if (offered(video.playbackRate)) select.value = String(video.playbackRate);
      else select.selectedIndex = -1;
    });
  }

  // --- Captions: the button shows or hides the <track>s; the choice is remembered ----------
  function setUpCaptions(video, announce) {
    const button = document.getElementById("player-captions");
    const elements = Array.from(video.querySelectorAll("track"));
    if (!button || !elements.length) return null;
    const tracks = elements.map((element) => element.track);
    const byDefault = (elements.find((element) => element.default) || elements[0]).track;
    let last = null;

    function shown() {
      return tracks.find((track) => track.mode === "showing") || null;
    }
    function sync() {
      const track = shown();
      if (track) last = track;
      button.setAttribute("aria-pressed", track ? "true" : "false");
    }
    function show(pick) {
      tracks.forEach((track) => { track.mode = track === pick ? "showing" : "disabled"; });
      sync();
    }
    function toggle() {
      const pick = shown() ? null : last || byDefault;
      show(pick);
      store(CAPTIONS_KEY, pick ? pick.language : "off");
      announce(pick ? `Captions on: ${pick.label}` : "Captions off");
    }

    const preference = stored(CAPTIONS_KEY);
    if (preference === "off") show(null);
    else if (preference) show(tracks.find((track) => track.language === preference) || shown());
    else sync();
    video.textTracks.addEventListener("change", sync); // the browser's own captions menu
    button.addEventListener("click", toggle);
    return { toggle };
  }

  // --- Keyboard shortcuts, while focus is in the player but not in a field --------------------
  function setUpShortcuts(player, video, captions, announce) {
    function togglePlay() {
      if (video.paused || video.ended) video.play().catch(() => {});
      else video.pause();
    }
    function seek(delta) {
      let to = Math.max(0, video.currentTime + delta);
      if (Number.isFinite(video.duration)) to = Math.min(to, video.duration);
      video.currentTime = to;
      announce(`${delta < 0 ? "Back" : "Forward"} to ${clock(to)}`);
    }
    function fullscreen() {
      if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
      else if (video.requestFullscreen) video.requestFullscreen().catch(() => {});
      else if (video.webkitEnterFullscreen) video.webkitEnterFullscreen(); // iPhone
    }
    let handled = null; // the key whose keydown a shortcut took
    player.addEventListener("keydown", (event) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target;
      if (target.closest("input, select, textarea, [contenteditable]")) return;
      // A button of ours (captions, a transcript cue) keeps Space for itself.
      const onButton = target !== video && target.closest("button, a, summary");
      switch (event.key.length === 1 ? event.key.toLowerCase() : event.key) {
        case " ":
          if (onButton) return;
          togglePlay();
          break;
        case "ArrowLeft":
          seek(-SEEK_STEP);
          break;
        case "ArrowRight":
          seek(SEEK_STEP);
          break;
        case "f":
          fullscreen();
          break;
        case "m":
          video.muted = !video.muted;
          announce(video.muted ? "Muted" : "Sound on");
          break;
        case "c":
          if (!captions) return;
          captions.toggle();
          break;
        default:
          return;
      }
      // The video's own controls must not act on it a second time (Chromium's toggle
      // play on Space's keyup): the key stops here, on its way down to them.
      event.preventDefault();
      event.stopPropagation();
      handled = event.key;
    }, true);
    player.addEventListener("keyup", (event) => {
      if (event.key !== handled) return;
      handled = null;
      event.preventDefault();
      event.stopPropagation();
    }, true);
  }

  // --- Transcript: a cue button seeks there and plays; the current cue is marked -----------
  function setUpTranscript(video) {
    const list = document.getElementById("transcript-cues");
    if (!list) return;
    const cues = Array.from(list.querySelectorAll(".transcript-cue"), (button) => ({
      button,
      start: parseFloat(button.dataset.start),
      end: parseFloat(button.dataset.end),
    }));
    list.addEventListener("click", (event) => {
      const button = event.target.closest(".transcript-cue");
      if (!button) return;
      video.currentTime = parseFloat(button.dataset.start);
      video.play().catch(() => {});
    });

    let current = null;
    function keepInView(button) {
      // Scroll the list only (not the page), and not while the viewer is using it.
      if (list.contains(document.activeElement) || list.matches(":hover")) return;
      const top = button.offsetTop;
      const bottom = top + button.offsetHeight;
      if (top < list.scrollTop || bottom > list.scrollTop + list.clientHeight) {
        list.scrollTop = Math.max(0, top - list.clientHeight / 3);
      }
    }
    function mark() {
      const now = video.currentTime;
      const cue = cues.find((c) => c.start <= now && now < c.end) || null;
      if (cue === current) return;
      if (current) current.button.removeAttribute("aria-current");
      current = cue;
      if (!cue) return;
      cue.button.setAttribute("aria-current", "true");
      keepInView(cue.button);
    }
    video.addEventListener("timeupdate", mark);
    video.addEventListener("seeked", mark);
  }

  function init() {
    const player = document.getElementById("player");
    const video = document.getElementById("lesson-video");
    if (!player || !video) return;
    const announce = announcer();
    startStream(video, qualityControl());
    setUpSpeed(video);
    const captions = setUpCaptions(video, announce);
    setUpShortcuts(player, video, captions, announce);
    setUpTranscript(video);
    player.querySelectorAll("[data-player-enhanced]").forEach((element) => {
      element.hidden = false;
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

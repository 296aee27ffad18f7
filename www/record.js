// Video of a run: `playground.record()` and the Record button (README:
// "Automation API"). It restarts the run and records the canvas on show
// (the 2D canvas, or the WebGPU one during a WebGPU run) with MediaRecorder
// as WebM, one video frame for every frame the page draws (the stream's
// frames are requested, not sampled on a clock), until the run is done or a
// limit is reached, and resolves to the Blob. Loaded at the first
// recording: `playground.record` (www/app.js) loads this file and calls
// `window.playgroundRecord`; so does the Record button.
(() => {
  "use strict";
  /** Limits: frames, bytes, seconds of wall time. Past any, recording stops and says so. */
  const LIMITS = { frames: 3000, bytes: 256 * 1024 * 1024, seconds: 300 };
  const TYPES = ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm"];
  let busy = false;

  /** `promise`, or an error naming `what` if it has not settled within `ms`. */
  const within = (promise, ms, what) => Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms)),
  ]);

  /**
   * Records the run from x_T to its end. `onProgress({ step, totalSteps,
   * frames, bytes })` is called as it goes. Resolves to a WebM Blob with
   * `frames` (the animation frames in which the page drew, one video frame
   * each) and `truncated` (the limit that stopped it, else null) as extra
   * properties.
   */
  async function record({ onProgress } = {}) {
    const api = await window.playground.ready;
    if (busy) throw new Error("a recording is already running");
    if (typeof MediaRecorder === "undefined") throw new Error("this browser cannot record video (no MediaRecorder)");
    const type = TYPES.find((t) => MediaRecorder.isTypeSupported(t));
    if (!type) throw new Error("this browser cannot record WebM video");
    busy = true;
    try {
      // The recorder starts (asynchronously) before the run restarts, so
      // that x_T is its first frame; frames requested earlier are lost.
      // Chromium reports the start only once the track has a frame, and a
      // canvas yields one only when it draws (an idle WebGPU canvas, e.g.
      // after a finished run, never does), so until the recorder has
      // started the page redraws its picture every 100 ms: at most a frame
      // or two of it lead the video.
      const redraw = (track) => { api.scrub(-1); track.requestFrame(); };
      const begin = async (canvas) => {
        const [track] = canvas.captureStream(0).getVideoTracks();
        const recorder = new MediaRecorder(new MediaStream([track]), { mimeType: type, videoBitsPerSecond: 4e6 });
        const chunks = [];
        const rec = { canvas, track, recorder, chunks, bytes: 0 };
        recorder.ondataavailable = (e) => { if (e.data.size) { chunks.push(e.data); rec.bytes += e.data.size; } };
        rec.stopped = new Promise((resolve) => { recorder.onstop = resolve; });
        let pump = null;
        await within(new Promise((resolve) => {
          recorder.onstart = resolve;
          recorder.start(1000);
          redraw(track);
          pump = setInterval(() => redraw(track), 100);
        }), 10_000, "the video recorder did not start").finally(() => clearInterval(pump));
        return rec;
      };
      let rec = await begin(api.canvas());
      const done = api.run(); // restarts: x_T is drawn now
      if (api.canvas() !== rec.canvas) {
        // The run draws on the other canvas (a backend change): record that one.
        rec.recorder.stop();
        rec.track.stop();
        rec = await begin(api.canvas());
      }
      const { track, recorder, chunks, stopped } = rec;
      let frames = 0, truncated = null;
      const bytes = () => rec.bytes;
      const t0 = performance.now();
      // One video frame per animation frame in which the page drew (x_T
      // included): the frames drawn in one animation frame show one picture.
      const drawn0 = api.status().framesDrawn - 1;
      let seen = drawn0;
      const capture = () => { track.requestFrame(); frames++; };
      let finished = false;
      done.then(() => { finished = true; }, () => { finished = true; });
      await new Promise((resolve) => {
        const poll = () => {
          const st = api.status();
          if (st.framesDrawn > seen) { seen = st.framesDrawn; capture(); }
          onProgress?.({ step: st.step, totalSteps: st.totalSteps, frames, bytes: bytes() });
          if (frames >= LIMITS.frames) truncated = `${LIMITS.frames} frames`;
          else if (bytes() >= LIMITS.bytes) truncated = `${LIMITS.bytes / 1048576} MiB`;
          else if (performance.now() - t0 > LIMITS.seconds * 1000) truncated = `${LIMITS.seconds} s`;
          if (finished || truncated) resolve();
          else requestAnimationFrame(poll);
        };
        requestAnimationFrame(poll);
      });
      // The last picture (in its own animation frame), then a moment for the encoder.
      await new Promise((r) => requestAnimationFrame(r));
      if (api.status().framesDrawn > seen) { seen = api.status().framesDrawn; capture(); }
      await new Promise((r) => setTimeout(r, 250));
      recorder.stop();
      await within(stopped, 30_000, "the video recorder did not finish");
      track.stop();
      const blob = new Blob(chunks, { type: "video/webm" });
      return Object.assign(blob, { frames, truncated });
    } finally {
      busy = false;
    }
  }

  window.playgroundRecord = record;
})();

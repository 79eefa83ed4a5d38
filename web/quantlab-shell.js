// The JS shell: starts the WebAssembly lab on the page's canvas and exposes window.quantlab
// (ready, getState, setState, step, metrics) for course pages and end-to-end tests.
(function () {
  "use strict";
  const status = document.getElementById("status");
  const canvas = document.getElementById("canvas");
  let module = null;
  let resolveReady, rejectReady;
  const ready = new Promise((resolve, reject) => { resolveReady = resolve; rejectReady = reject; });

  function fatal(text) {
    status.textContent = "QuantLab could not start: " + text;
    status.className = "fatal";
    rejectReady(new Error(text));
  }

  function requireModule() {
    if (!module) throw new Error("quantlab is not ready yet: await quantlab.ready first");
    return module;
  }

  const api = {
    ready,
    // The whole lab state as a plain object (the same keys as the URL query).
    getState() { return JSON.parse(requireModule().stateJson()); },
    // Applies the given keys; bad values are refused one by one, shown in the lab and returned.
    setState(values) {
      const m = requireModule();
      if (values === null || typeof values !== "object" || Array.isArray(values)) {
        return { ok: false, errors: ["setState expects an object such as {format: 'fixed:w=8,f=4'}"] };
      }
      const errors = [];
      for (const [key, value] of Object.entries(values)) {
        const message = m.setProperty(String(key), String(value));
        if (message) errors.push(message);
      }
      return { ok: errors.length === 0, errors };
    },
    // Advances the open panel: in Formats, moves x by n atoms. Returns the steps taken.
    step(n = 1) {
      const count = Math.trunc(Number(n));
      if (!Number.isFinite(count)) throw new Error("step(n) needs a finite number");
      return requireModule().step(count);
    },
    // The numbers the open panel shows.
    metrics() { return JSON.parse(requireModule().metricsJson()); },
  };
  window.quantlab = api;

  if (typeof createQuantLab !== "function") {
    fatal("quantlab.js did not load");
    return;
  }
  createQuantLab({
    canvas,
    print: (text) => console.log(text),
    printErr: (text) => console.warn(text),
    onLabReady() {
      status.className = "hidden";
      resolveReady(api);
    },
    onLabFatal: fatal,
    onAbort: (what) => fatal(String(what)),
  }).then((instance) => { module = instance; }, (err) => fatal(String(err)));
})();

// The JS shell: starts the WebAssembly lab on the page's canvas, exposes window.quantlab
// (ready, getState, setState, step, metrics, messages, panels, upload, loadModel, exportModel) for
// course pages and end-to-end tests, fetches datasets and linked models lazily with progress, and
// takes dropped or picked files.
(function () {
  "use strict";
  const status = document.getElementById("status");
  const canvas = document.getElementById("canvas");
  // Uploads larger than this are refused before reading: the lab must not run out of memory.
  const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
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

  // The message for a file over the limit, shown in the lab; the file is never read.
  function tooLarge(m, name, size) {
    if (size <= MAX_UPLOAD_BYTES) return "";
    const message = `'${name}' is ${(size / 1048576).toFixed(1)} MB; the lab takes files up to ` +
      `${MAX_UPLOAD_BYTES / 1048576} MB`;
    m.report(message);
    return message;
  }

  // Reads a File (drop or picker) and hands its bytes to the open lesson.
  function uploadFile(file) {
    const m = requireModule();
    const refused = tooLarge(m, file.name, file.size);
    if (refused) return Promise.resolve(refused);
    return file.arrayBuffer().then(
      (buffer) => m.upload(file.name, new Uint8Array(buffer)),
      (err) => { const message = `could not read '${file.name}': ${err}`; m.report(message); return message; });
  }

  const api = {
    ready,
    // Every setting of every lesson as a plain object (the URL carries the shared keys and the
    // open lesson's).
    getState() { return JSON.parse(requireModule().stateJson()); },
    // Applies several keys at once; each bad value is refused, shown in the lab and returned.
    setState(values) {
      const m = requireModule();
      if (values === null || typeof values !== "object" || Array.isArray(values)) {
        return JSON.parse(m.setStateJson("null"));
      }
      return JSON.parse(m.setStateJson(JSON.stringify(values)));
    },
    // Advances the open lesson by n units (Formats: atoms; Perceptron: updates; Train: batches).
    step(n = 1) {
      const count = Math.trunc(Number(n));
      if (!Number.isFinite(count)) throw new Error("step(n) needs a finite number");
      return requireModule().step(count);
    },
    // Runs or pauses the open lesson (the space key).
    toggleRun() { requireModule().toggleRun(); },
    // The shell's numbers (frame times, jobs, messages) and the open lesson's.
    metrics() { return JSON.parse(requireModule().metricsJson()); },
    // The warnings and errors the user sees: [{text, level}].
    messages() { return JSON.parse(requireModule().messagesJson()); },
    dismissMessages() { requireModule().dismissMessages(); },
    // The shared model (the one the Train, Precision, Layers and Ternary lessons study) as a file:
    // 'json' (default) the quantlab-model JSON text that `qlab ... --model FILE` reads ("" while
    // there is none); 'onnx' a Uint8Array of standard ONNX at the state's formats (QDQ where ONNX
    // has the type), or throws with the message shown when it cannot be written.
    exportModel(kind = "json") {
      const out = requireModule().exportModel(String(kind));
      if (kind === "onnx" && typeof out === "string") throw new Error(out);
      return out;
    },
    // The shared model's test rows as the model sees them (after preprocessing), as CSV text with
    // the class last: `qlab ... --data csv:FILE --normalize none` reads the same rows.
    exportData() { return requireModule().exportData(); },
    // Opens a model (ONNX or quantlab-model JSON) for the lessons on the shared model: a URL
    // (relative to the page; the link's model key keeps it) or the file's bytes (a Uint8Array or
    // ArrayBuffer, optionally {name, bytes}). Resolves to "" or the message shown; on any
    // failure the lab keeps its model.
    loadModel(source, name = "model.onnx") {
      const m = requireModule();
      if (typeof source === "string") {
        const refused = m.loadModelUrl(source);
        if (refused) return Promise.resolve(refused);
        return new Promise((resolve) => {
          const list = modelWaiters.get(source) || [];
          list.push(resolve);
          modelWaiters.set(source, list);
        });
      }
      let bytes = source, fileName = name;
      if (source && !(source instanceof Uint8Array) && !(source instanceof ArrayBuffer) && source.bytes) {
        bytes = source.bytes;
        fileName = String(source.name || name);
      }
      if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
      if (!(bytes instanceof Uint8Array)) {
        const message = "loadModel takes a URL, a Uint8Array or an ArrayBuffer";
        m.report(message);
        return Promise.resolve(message);
      }
      return Promise.resolve(tooLarge(m, fileName, bytes.length) || m.loadModelBytes(fileName, bytes));
    },
    // The lessons, in tab order: [{key, title, try}].
    panels() { return JSON.parse(requireModule().panelsJson()); },
    // Gives the open lesson a file: a File, or {name, text} / {name, bytes}. Resolves to "" or
    // the message shown.
    upload(file) {
      if (file instanceof Blob) return uploadFile(file);
      const m = requireModule();
      const name = String(file.name || "upload");
      const bytes = file.bytes instanceof Uint8Array ? file.bytes : new TextEncoder().encode(String(file.text ?? ""));
      return Promise.resolve(tooLarge(m, name, bytes.length) || m.upload(name, bytes));
    },
  };
  window.quantlab = api;
  const modelWaiters = new Map();  // URL -> resolvers of loadModel(url)
  function modelDone(url, message) {
    const list = modelWaiters.get(url) || [];
    modelWaiters.delete(url);
    for (const resolve of list) resolve(message);
  }

  // A model named by the link (the model key) or loadModel(url): relative to the page. Every way
  // it can fail ends in one message naming the URL and the problem; the lab keeps its model.
  function fetchModel(url) {
    const m = module;
    const fail = (text) => modelDone(url, m.modelFetchFailed(url, text));
    let target;
    try { target = new URL(url, document.baseURI); } catch (err) { fail("not a URL"); return; }
    fetch(target.href).then(async (response) => {
      if (!response.ok) return fail(`the server answered HTTP ${response.status}${response.statusText ? " " + response.statusText : ""}`);
      const total = Number(response.headers.get("Content-Length")) || 0;
      const tooBig = (size) => `the file is ${(size / 1048576).toFixed(1)} MB; the lab takes models up to ${MAX_UPLOAD_BYTES / 1048576} MB`;
      if (total > MAX_UPLOAD_BYTES) return fail(tooBig(total));  // refused before it is read
      const reader = response.body.getReader();
      const chunks = [];
      let received = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
        if (received > MAX_UPLOAD_BYTES) { reader.cancel(); return fail(tooBig(received)); }
        chunks.push(value);
        m.datasetProgress(url, total ? received / total : 0.5);
      }
      m.datasetProgress("", -1);
      const bytes = new Uint8Array(received);
      let at = 0;
      for (const c of chunks) { bytes.set(c, at); at += c.length; }
      modelDone(url, m.modelFetched(url, bytes));
    }).catch((err) => {
      m.datasetProgress("", -1);
      // fetch() rejects with a TypeError for a network failure and a refused cross-origin read
      // alike; the browser does not say which.
      const why = err instanceof TypeError
        ? (target.origin !== window.location.origin
          ? "the request failed: the server is unreachable or refused cross-origin access (CORS)"
          : "the request failed: the server is unreachable")
        : String(err.message || err);
      fail(why);
    });
  }

  // Datasets come from data/ next to the page, relative, so the lab works under any sub-path.
  function fetchDataset(name) {
    const m = module;
    const url = "data/" + name;
    fetch(url).then(async (response) => {
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      const total = Number(response.headers.get("Content-Length")) || 0;
      const reader = response.body.getReader();
      const chunks = [];
      let received = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.length;
        m.datasetProgress(name, total ? received / total : 0.5);
      }
      const bytes = new Uint8Array(received);
      let at = 0;
      for (const c of chunks) { bytes.set(c, at); at += c.length; }
      m.datasetLoaded(name, bytes);
    }).catch((err) => m.datasetFailed(name, String(err.message || err)));
  }

  // Drag and drop anywhere on the page, and a hidden file picker opened from the lab (Module.pickFile).
  const picker = document.createElement("input");
  picker.type = "file";
  picker.accept = ".onnx,.json,.csv,.txt,.libsvm,.svm";
  picker.style.display = "none";
  picker.addEventListener("change", () => { if (picker.files[0]) uploadFile(picker.files[0]); picker.value = ""; });
  document.body.appendChild(picker);
  // preventDefault on dragover/drop keeps the browser from navigating away to the dropped file.
  window.addEventListener("dragover", (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
    document.body.classList.add("dragging");
  });
  window.addEventListener("dragleave", (e) => {
    if (!e.relatedTarget) document.body.classList.remove("dragging");
  });
  window.addEventListener("drop", (e) => {
    e.preventDefault();
    document.body.classList.remove("dragging");
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (!file) return;
    if (!module) {
      status.textContent = `QuantLab is still loading; drop '${file.name}' again once it has started.`;
      return;
    }
    uploadFile(file);
  });

  // Long work (training, sweeps) runs between frames in slices of a few ms: the page answers
  // input within a slice, the frame itself stays cheap, and training gets the time the browser
  // would otherwise idle (up to the per-frame budget the C++ side sets). A frame restarts the pump.
  const JOB_SLICE_MS = 4;
  function startJobPump() {
    const channel = new MessageChannel();
    let pumping = false;
    channel.port1.onmessage = () => {
      const spent = module ? module.runJobs(JOB_SLICE_MS) : -1;
      if (spent > 0) channel.port2.postMessage(0);
      else pumping = false;  // nothing runs, or this frame's budget is used: wait for a frame
    };
    const onFrame = () => {
      if (!pumping) { pumping = true; channel.port2.postMessage(0); }
      requestAnimationFrame(onFrame);
    };
    requestAnimationFrame(onFrame);
  }

  if (typeof createQuantLab !== "function") {
    fatal("quantlab.js did not load");
    return;
  }
  createQuantLab({
    canvas,
    print: (text) => console.log(text),
    printErr: (text) => console.warn(text),
    fetchDataset,
    fetchModel,
    pickFile() { picker.click(); },
    onLabReady() {
      startJobPump();
      status.className = "hidden";
      resolveReady(api);
    },
    onLabFatal: fatal,
    onAbort: (what) => fatal(String(what)),
  }).then((instance) => { module = instance; }, (err) => fatal(String(err)));
})();

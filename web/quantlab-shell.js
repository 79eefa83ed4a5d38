// The JS shell: starts the WebAssembly lab on the page's canvas, exposes window.quantlab
// (ready, getState, setState, step, metrics, messages, widgets, panels, upload, loadModel,
// exportModel, shareUrl) for course pages and end-to-end tests, fetches datasets and linked models
// lazily with progress, takes dropped or picked files, copies share links and keeps the screen
// reader's live region up to date.
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
    // Every interactive item drawn in the last frame: [{id, label, kind, value, rect, full}], kind
    // one of button, tab, slider, checkbox, radio, combo, text, plot, or help for a "(?)" marker
    // (its tooltip: a long press on a touch screen); rect in CSS pixels of the page.
    // value: on/off for checkboxes and radio buttons, open or not for tabs, else null. rect is the
    // part inside its window; full the whole item, also where it runs past the window's edge (not
    // in a table that scrolls sideways, where it is in reach).
    widgets() {
      const box = canvas.getBoundingClientRect();
      const list = JSON.parse(requireModule().widgetsJson());
      for (const w of list) {
        for (const r of [w.rect, w.full]) { r.x += box.left; r.y += box.top; }
      }
      return list;
    },
    // The full lab's URL with the whole state: opening it gives the same getState().
    shareUrl,
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

  // ---- Sharing ----
  // The full lab (index.html next to embed.html) with the state's link query (Module.shareQuery:
  // the address bar's keys plus every other key that differs from a fresh lab's).
  function shareUrl() {
    const query = requireModule().shareQuery();
    const here = new URL(window.location.href);
    const path = /embed[.]html$/.test(here.pathname) ? new URL("index.html", here).pathname : here.pathname;
    return here.origin + path + "?" + query;
  }

  // Where the clipboard is refused (an insecure page, a denied permission): the link in a
  // selected text field at the top of the lab, to copy by hand.
  let shareBox = null;
  function showShareField(url) {
    if (!shareBox) {
      shareBox = document.createElement("div");
      shareBox.id = "share-box";
      shareBox.setAttribute("role", "dialog");
      shareBox.setAttribute("aria-label", "Link to this state of the lab");
      const label = document.createElement("label");
      label.htmlFor = "share-url";
      label.textContent = "Copy this link (Ctrl+C):";
      const field = document.createElement("input");
      field.id = "share-url";
      field.readOnly = true;
      field.addEventListener("focus", () => field.select());
      const close = document.createElement("button");
      close.type = "button";
      close.textContent = "Close";
      close.addEventListener("click", () => { shareBox.hidden = true; canvas.focus(); });
      shareBox.addEventListener("keydown", (e) => { if (e.key === "Escape") close.click(); });
      shareBox.append(label, field, close);
      document.body.appendChild(shareBox);
    }
    const field = shareBox.querySelector("input");
    field.value = url;
    shareBox.hidden = false;
    field.focus();
    field.select();
  }

  // "Copy link" in the lab's top bar (called in the frame of the click, within its gesture).
  function copyShareLink() {
    const url = shareUrl();
    const refused = (why) => {
      showShareField(url);
      module.note(`the browser did not let the lab copy (${why.replace(/[.]$/, "")}): the link is in the field at the top`);
      return false;
    };
    if (!navigator.clipboard || !navigator.clipboard.writeText) {
      return Promise.resolve(refused("no clipboard on this page"));
    }
    return navigator.clipboard.writeText(url).then(() => {
      if (shareBox) shareBox.hidden = true;
      module.note("Copied a link to this state of the lab");
      return true;
    }, (err) => refused(String((err && err.message) || err)));
  }

  // "Open in the full lab" in an embedded lesson: a new tab on the same state.
  function openFullLab() {
    const url = shareUrl();
    const tab = window.open(url, "_blank");
    if (tab) tab.opener = null;
    else {
      showShareField(url);
      module.note("the browser blocked the new tab: the link is in the field at the top");
    }
  }

  // ---- The screen reader's view: the open lesson and its headline numbers ----
  // A few numbers per lesson from metrics(); announced when their text changes (checked every
  // second and a half, three significant digits), never every frame.
  const HEADLINES = {
    formats: [["format", "format"], ["x", "x"], ["quantized", "quantized x"], ["abs_error", "error"],
      ["sqnr_db_gaussian", "SQNR of a Gaussian in dB"]],
    perceptron: [["updates", "updates"], ["mistakes", "mistakes"], ["train_accuracy", "training accuracy"],
      ["converged", "converged"]],
    train: [["epochs_done", "epochs"], ["test_accuracy", "test accuracy"], ["float_accuracy", "float accuracy"],
      ["loss", "loss"]],
    precision: [["bw", "weight bits"], ["ba", "activation bits"], ["float_error", "float error"]],
    layers: [["float_accuracy", "float accuracy"], ["quantized_accuracy", "quantized accuracy"],
      ["output_sqnr_measured_db", "measured output SQNR in dB"], ["output_sqnr_predicted_db", "predicted output SQNR in dB"]],
    ternary: [["float_accuracy", "float accuracy"], ["fgq_accuracy", "ternary accuracy"],
      ["keep", "kept level"], ["accuracy_at_keep", "accuracy at the kept level"]],
  };
  function readable(value) {
    if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
    if (typeof value === "boolean") return value ? "yes" : "no";
    return typeof value === "string" ? value : null;
  }
  function describeLesson(m, titles) {
    const parts = [];
    for (const [key, label] of HEADLINES[m.panel] || []) {
      const text = key in m ? readable(m[key]) : null;
      if (text !== null && text !== "") parts.push(`${label} ${text}`);
    }
    const title = titles[m.panel] || m.panel;
    return `${title} lesson` + (parts.length ? ": " + parts.join(", ") : "") + ".";
  }
  function startAnnouncer() {
    const live = document.getElementById("announce");
    if (!live) return;
    const titles = {};
    const update = () => {
      if (document.hidden || !module) return;
      if (!Object.keys(titles).length) for (const p of api.panels()) titles[p.key] = p.title;
      const text = describeLesson(api.metrics(), titles);
      if (live.textContent !== text) live.textContent = text;
    };
    setTimeout(update, 0);
    setInterval(update, 1500);
  }
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

  // Touch: the lab gets each finger's move, press and release itself (Module.pointerEvent), one
  // step a frame, so that the first tap on a control is a click. GLFW's own touch handlers on
  // the canvas never see the events (stopped on the way down), and preventDefault keeps the
  // browser from sending mouse events after them. One finger at a time: the first one down.
  let finger = null;  // the identifier of the finger that drives the pointer
  function onTouch(e) {
    if (e.target !== canvas) return;
    e.preventDefault();
    e.stopPropagation();
    if (!module) return;
    const box = canvas.getBoundingClientRect();
    if (onPinch(e, box)) return;
    for (const t of e.changedTouches) {
      if (e.type === "touchstart" && finger === null) finger = t.identifier;
      if (t.identifier !== finger) continue;
      const x = t.clientX - box.left, y = t.clientY - box.top;
      const stamp = e.timeStamp;
      if (e.type === "touchstart") {
        module.pointerEvent(0, x, y, stamp);
        module.pointerEvent(1, x, y, stamp);
      } else if (e.type === "touchmove") {
        module.pointerEvent(0, x, y, stamp);
      } else {
        module.pointerEvent(0, x, y, stamp);
        module.pointerEvent(2, x, y, stamp);
        finger = null;
      }
      if (document.activeElement !== keyboardInput) canvas.focus();
    }
  }
  // Two fingers pinch (Module.pinchEvent): their midpoint and how many times their distance grew
  // since the last event. The lab lets the first finger's press go (no click) and zooms the view
  // under them where the mouse wheel zooms. After a pinch the finger left does nothing until
  // every finger has lifted (it would otherwise drag or scroll from where the pinch ended).
  let pinch = null;  // {dist} while two fingers pinch, {ended: true} until all fingers lift
  function onPinch(e, box) {
    const touches = [...e.touches].filter((t) => t.target === canvas);
    if (touches.length >= 2) {
      const [a, b] = touches;
      const x = (a.clientX + b.clientX) / 2 - box.left, y = (a.clientY + b.clientY) / 2 - box.top;
      const dist = Math.max(1, Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY));
      if (!pinch || pinch.ended) {
        pinch = { dist };
        finger = null;
      }
      module.pinchEvent(x, y, dist / pinch.dist, e.timeStamp);
      pinch.dist = dist;
      return true;
    }
    if (!pinch) return false;
    if (!pinch.ended) module.pinchEvent(0, 0, 0, e.timeStamp);
    pinch = touches.length ? { ended: true } : null;
    return true;
  }
  for (const type of ["touchstart", "touchmove", "touchend", "touchcancel"]) {
    window.addEventListener(type, onTouch, { capture: true, passive: false });
  }
  // A real mouse (not one the browser made up from a touch) gives the pointer back to GLFW.
  window.addEventListener("mousemove", (e) => {
    if (module && e.target === canvas && !(e.sourceCapabilities && e.sourceCapabilities.firesTouchEvents)) {
      module.pointerEvent(3, 0, 0, e.timeStamp);
    }
  }, true);

  // The on-screen keyboard: while a text field in the lab is being edited (ImGui's WantTextInput,
  // Module.setTextInput from the frame), a hidden <input> has the focus, so a phone or tablet
  // shows its keyboard. Keys with a keypress reach the lab through GLFW's window listeners as on
  // a desktop; text that arrives only as input events (an on-screen keyboard's words, IME,
  // dictation) is forwarded here. Done editing: the input is blurred and the canvas focused.
  const keyboardInput = document.createElement("input");
  keyboardInput.id = "keyboard-input";
  keyboardInput.type = "text";
  keyboardInput.className = "visually-hidden";  // 1 px, clipped; it only holds the focus
  keyboardInput.setAttribute("aria-label", "Text for the lab's field being edited");
  keyboardInput.setAttribute("autocomplete", "off");
  keyboardInput.setAttribute("autocapitalize", "off");
  keyboardInput.setAttribute("autocorrect", "off");
  keyboardInput.setAttribute("spellcheck", "false");
  document.body.appendChild(keyboardInput);
  // Android keyboards send backspace only as a beforeinput event (deleteContentBackward, after a
  // keydown with keyCode 229 that GLFW cannot read), and none at all when the field is empty: the
  // input keeps one character before the caret so that there is always something to delete, and
  // such a deletion reaches the lab as a key press (Module.touchKey). A real Backspace key went to
  // the lab through GLFW already.
  const KEEP = " ";
  function resetKeyboardInput() {
    keyboardInput.value = KEEP;
    keyboardInput.setSelectionRange(KEEP.length, KEEP.length);
  }
  let keypressSeen = false;  // this input's text already went to the lab as a keypress
  let deleteKeySeen = false;  // a real Backspace or Delete key came before this deletion
  // Each key starts afresh: a keypress with no input event after it (Enter) must not swallow the
  // next text an on-screen keyboard sends.
  keyboardInput.addEventListener("keydown", (e) => {
    deleteKeySeen = e.key === "Backspace" || e.key === "Delete";
    keypressSeen = false;
  });
  keyboardInput.addEventListener("keypress", () => { keypressSeen = true; });
  keyboardInput.addEventListener("beforeinput", (e) => {
    const kind = { deleteContentBackward: 0, deleteContentForward: 1 }[e.inputType];
    if (kind === undefined) return;
    if (module && !deleteKeySeen) module.touchKey(kind);
    deleteKeySeen = false;
    e.preventDefault();  // where the browser does not let it, the input event puts KEEP back
  });
  keyboardInput.addEventListener("input", (e) => {
    const typed = keyboardInput.value.startsWith(KEEP) ? keyboardInput.value.slice(KEEP.length) : keyboardInput.value;
    const text = /^delete/.test(e.inputType || "") ? "" : e.data || typed;
    if (module && text && !keypressSeen) module.addText(text);
    keypressSeen = false;
    resetKeyboardInput();
  });
  function setTextInput(on) {
    if (on && document.activeElement !== keyboardInput) {
      keyboardInput.focus({ preventScroll: true });
      resetKeyboardInput();
    } else if (!on && document.activeElement === keyboardInput) {
      keyboardInput.blur();
      canvas.focus({ preventScroll: true });
    }
  }

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

  // Training runs in a Web Worker (quantlab-worker.js) with its own instance of this module, so
  // the page only draws and answers input. The page compiles quantlab.wasm once and hands the
  // compiled module to the worker (no second download). No SharedArrayBuffer: it works on any
  // static host and in cross-origin iframes. ?worker=0, or no Worker, keeps training in frames.
  let wasmModule = null;
  function instantiateWasm(imports, receive) {
    const url = "quantlab.wasm";
    const compiled = WebAssembly.instantiateStreaming
      ? WebAssembly.instantiateStreaming(fetch(url), imports)
          .catch(() => fetch(url).then((r) => r.arrayBuffer())
            .then((b) => WebAssembly.instantiate(b, imports)))
      : fetch(url).then((r) => r.arrayBuffer()).then((b) => WebAssembly.instantiate(b, imports));
    compiled.then((r) => { wasmModule = r.module; receive(r.instance, r.module); },
                  (err) => fatal("quantlab.wasm: " + String(err)));
    return {};  // asynchronous: receive() finishes the start-up
  }
  const MAX_WORKER_RESTARTS = 3;
  // Read before the lab rewrites the URL from its state (which has no worker key).
  const workerWanted = new URLSearchParams(location.search).get("worker") !== "0";
  function makeTrainWorker() {
    if (!workerWanted || typeof Worker !== "function") return null;
    let worker = null;
    const link = {
      restarts: 0,
      postData(m) {
        worker.postMessage(Object.assign({ type: "data" }, m),
                           [m.trainX.buffer, m.trainY.buffer, m.testX.buffer, m.testY.buffer]);
      },
      postStart(run, model, checkpoint) {
        worker.postMessage({ type: "start", run, model, checkpoint }, [checkpoint.buffer]);
      },
      postControl(type, run, value) { worker.postMessage({ type, run, value }); },
      postAnalysis(id, request) {
        worker.postMessage({ type: "analysis", id, request }, [request.buffer]);
      },
      // The worker stopped (a crash, or a test): it is restarted and the lab goes on without it
      // meanwhile; after MAX_WORKER_RESTARTS the frames train.
      died(why) {
        worker.terminate();
        module.workerDied(String(why || "it stopped"));
        if (++link.restarts <= MAX_WORKER_RESTARTS) link.start();
      },
      start() {
        worker = new Worker("quantlab-worker.js");
        worker.onmessage = (e) => {
          const m = e.data;
          if (m.type === "ready") module.workerReady();
          else if (m.type === "message") module.workerMessage(m.run, m.kind, m.bytes, m.last, m.text);
          else if (m.type === "analysis") module.workerAnalysis(m.bytes);
          else if (m.type === "died") link.died(m.text);
        };
        worker.onerror = (e) => { e.preventDefault(); link.died(e.message); };
        worker.postMessage({ type: "module", module: wasmModule });
      },
    };
    return link;
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
    copyShareLink,
    openFullLab,
    setTextInput,
    instantiateWasm,
    onLabReady() {
      module = this;  // main() calls this before createQuantLab's promise settles
      module.trainWorker = makeTrainWorker();
      module.workerEnabled(module.trainWorker !== null);
      if (module.trainWorker) module.trainWorker.start();
      startJobPump();
      startAnnouncer();
      status.className = "hidden";
      resolveReady(api);
    },
    onLabFatal: fatal,
    onAbort: (what) => fatal(String(what)),
  }).then((instance) => { module = instance; }, (err) => fatal(String(err)));
})();

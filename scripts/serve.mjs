// Static file server for the built lab (dist/, written by scripts/make_dist.sh). Used by `npm start`
// and by the end-to-end tests. Usage: node scripts/serve.mjs [dir] [--prefix /course/quantlab/] [--course];
// HOST (default 127.0.0.1) and PORT (default 8080; 0 picks a free one) choose where it listens.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
export const DIST = path.join(root, "dist");
export const COURSE_EXAMPLE = path.join(root, "examples/course");
const types = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm", ".json": "application/json", ".png": "image/png",
  ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8", ".csv": "text/csv",
  ".idx": "application/octet-stream",
};

// "/a/b" -> "/a/b/" so that prefix matching never lets "/course/quantlabX" through.
function normalizePrefix(prefix) {
  let p = String(prefix || "/");
  if (!p.startsWith("/")) p = "/" + p;
  if (!p.endsWith("/")) p += "/";
  return p;
}

// Serves `dir` at URL `prefix` (default "/"); `mounts` adds more [prefix, dir] pairs (the longest
// matching prefix wins), e.g. a course page at /course/ with the lab at /course/quantlab/.
// Requests outside every prefix get 404. Content-Length is always sent: the JS shell draws the
// dataset progress bar from it.
export function createServer(dir = DIST, { prefix = "/", mounts = [] } = {}) {
  const table = [[normalizePrefix(prefix), path.resolve(dir)], ...mounts.map(([p, d]) => [normalizePrefix(p), path.resolve(d)])]
    .sort((a, b) => b[0].length - a[0].length);
  const notFound = (res, what) => {
    const body = "not found: " + what;
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  };
  return http.createServer((req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    } catch {
      res.writeHead(400, { "Content-Length": 11 }).end("bad request");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Length": 0 }).end();
      return;
    }
    // "/course/quantlab" (no slash) must redirect: the lab's URLs are relative to its folder.
    const mount = table.find(([p]) => pathname.startsWith(p) || pathname + "/" === p);
    if (!mount) return notFound(res, pathname);
    const [urlPrefix, base] = mount;
    if (pathname + "/" === urlPrefix) {
      const search = new URL(req.url, "http://localhost").search;
      res.writeHead(301, { Location: urlPrefix + search, "Content-Length": 0 }).end();
      return;
    }
    let rel = pathname.slice(urlPrefix.length);
    if (rel === "" || rel.endsWith("/")) rel += "index.html";
    const file = path.resolve(base, "." + path.sep + rel);
    if (!file.startsWith(base + path.sep)) {
      res.writeHead(403, { "Content-Length": 9 }).end("forbidden");
      return;
    }
    fs.stat(file, (err, st) => {
      if (!err && st.isDirectory()) {
        const search = new URL(req.url, "http://localhost").search;
        res.writeHead(301, { Location: pathname + "/" + search, "Content-Length": 0 }).end();
        return;
      }
      if (err || !st.isFile()) return notFound(res, pathname);
      res.writeHead(200, {
        "Content-Type": types[path.extname(file)] || "application/octet-stream",
        "Content-Length": st.size,
        "Cache-Control": "no-cache",
      });
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      const stream = fs.createReadStream(file);
      stream.on("error", () => res.destroy());
      stream.pipe(res);
    });
  });
}

// The address a person can open: "http://127.0.0.1:8080/course/quantlab/".
export function urlFor(address, prefix = "/") {
  const host = address.family === "IPv6" || address.family === 6 ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}${normalizePrefix(prefix)}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let dir = DIST, prefix = "/", course = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--prefix") prefix = args[++i];
    else if (args[i] === "--course") course = true;
    else if (args[i].startsWith("-")) {
      console.error(`serve: unknown option ${args[i]} (use [dir] [--prefix /path/] [--course])`);
      process.exit(2);
    } else dir = args[i];
  }
  const host = process.env.HOST || "127.0.0.1";
  const port = Number(process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: PORT must be a whole number from 0 to 65535, not '${process.env.PORT}'`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(dir, "index.html"))) {
    console.error(`serve: ${dir}/index.html not found; build first (npm run build)`);
    process.exit(1);
  }
  // --course: the sample course page at /course/ with the lab beside it at /course/quantlab/.
  const mounts = course ? [["/course/", COURSE_EXAMPLE]] : [];
  if (course) prefix = "/course/quantlab/";
  const server = createServer(dir, { prefix, mounts });
  server.on("error", (e) => {
    console.error(`serve: cannot listen on ${host}:${port}: ${e.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => {
    const url = urlFor(server.address(), course ? "/course/" : prefix);
    console.log(`QuantLab is running at ${url}`);
    if (host === "0.0.0.0" || host === "::") console.log("(listening on every network interface: HOST=" + host + ")");
  });
}

// A small static file server on loopback, with the behaviour of a plain static host
// (nginx, GitHub Pages): folders serve their index.html, a folder URL without its final
// slash is redirected, a missing file gets /404.html with status 404, query strings are
// ignored. Used by the browser tests; the sub-path test uses a real nginx instead.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".geojson": "application/geo+json",
  ".csv": "text/csv; charset=utf-8",
  ".xml": "application/xml",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
  ".pf_meta": "application/octet-stream",
  ".pf_index": "application/octet-stream",
  ".pf_fragment": "application/octet-stream",
  ".pagefind": "application/octet-stream",
};

/** Starts the server; resolves to { url, port, close() }. `url` ends with "/". */
export function serveStatic(root) {
  const rootReal = fs.realpathSync(root);
  const server = http.createServer((req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const file = path.join(rootReal, pathname);
    if (file !== rootReal && !file.startsWith(rootReal + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    let stat = statOrNull(file);
    if (stat && stat.isDirectory()) {
      if (!pathname.endsWith("/")) {
        const query = req.url.includes("?") ? req.url.slice(req.url.indexOf("?")) : "";
        res.writeHead(301, { Location: encodeURI(pathname) + "/" + query }).end();
        return;
      }
      return send(res, path.join(file, "index.html"), 200, req.method);
    }
    if (stat && stat.isFile()) return send(res, file, 200, req.method);
    return send(res, path.join(rootReal, "404.html"), 404, req.method);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        port,
        url: `http://127.0.0.1:${port}/`,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

function statOrNull(file) {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}

function send(res, file, status, method) {
  const stat = statOrNull(file);
  if (!stat || !stat.isFile()) {
    res.writeHead(status === 200 ? 404 : status, { "Content-Type": "text/plain; charset=utf-8" });
    res.end("introuvable");
    return;
  }
  res.writeHead(status, {
    "Content-Type": TYPES[path.extname(file).toLowerCase()] || "application/octet-stream",
    "Content-Length": stat.size,
    "Cache-Control": "no-store",
  });
  if (method === "HEAD") return res.end();
  fs.createReadStream(file).pipe(res);
}

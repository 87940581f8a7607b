// Runs searches with the Pagefind JS API of a built site, in Node, without a browser or a
// server: `fetch` is replaced by reads of the output folder, and every file read is counted,
// so that the first query's transfer can be measured.
//
//   node tests/search/pagefind-query.mjs PUBLIC_DIR '[{"q": "evenementiel"}, {"q": "x", "type": "Ville"}]' [RESULTS] [BASE_PATH]
//
// BASE_PATH (default "/") is where the site is served (`/atlas/` for a site built with
// `--base-url https://example.org/atlas/`): Pagefind derives the result URLs from it, as in a
// browser. Prints JSON: one entry per query, in order, with its results (url, title, type,
// excerpt) for the first RESULTS results (default 8) and the files fetched by that query
// (path, bytes). The indexes the search page names in `data-pagefind-fusion` are merged first,
// as the theme's recherche.js does.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [publicDir, queriesJson, perQuery = "8", basePath = "/"] = process.argv.slice(2);
const queries = JSON.parse(queriesJson);
let fetched = [];

globalThis.fetch = async (input) => {
  const url = typeof input === "string" ? input : input.url;
  const path = decodeURIComponent(new URL(url, "http://atlas.invalid/").pathname);
  if (!path.startsWith(basePath)) return new Response("", { status: 404 });
  try {
    const bytes = await readFile(join(publicDir, path.slice(basePath.length)));
    fetched.push({ path, bytes: bytes.length });
    return new Response(bytes, { status: 200 });
  } catch {
    return new Response("", { status: 404 });
  }
};

const pagefind = await import(pathToFileURL(join(publicDir, "pagefind", "pagefind.js")).href);
// The options of the theme's recherche.js; the base path that a browser would derive from
// pagefind.js's own URL.
await pagefind.options({ basePath: `${basePath}pagefind/`, noWorker: true, excerptLength: 26 });
// The other indexes of a large atlas, as recherche.js merges them (the search page says which).
const searchPage = await readFile(join(publicDir, "recherche", "index.html"), "utf8");
const fusion = /data-pagefind-fusion="([^"]*)"/.exec(searchPage);
for (const path of fusion ? fusion[1].split(" ").filter(Boolean) : []) {
  await pagefind.mergeIndex(path);
}
const out = [];
for (const query of queries) {
  fetched = [];
  const response = await pagefind.search(query.q, query.type ? { filters: { type: query.type } } : {});
  const results = [];
  for (const result of response.results.slice(0, Number(perQuery))) {
    const data = await result.data();
    results.push({ url: data.url, title: data.meta.title, type: data.meta.type, excerpt: data.excerpt });
  }
  out.push({ q: query.q, count: response.results.length, results, fetched });
}
process.stdout.write(JSON.stringify(out, null, 1));

// A large atlas (2,000 generated case studies, built by scripts/test into ATLAS_LARGE_PUBLIC):
// its search index is split in two Pagefind indexes built at the same time (`pagefind/` and
// `pagefind-2/`), which the search page merges in the browser. A visitor's query finds the
// pages of both, and the page loads nothing that fails.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { IN_CI, launch, openContext, visit } from "./lib/atlas.js";
import { serveStatic } from "./lib/server.js";

const PUBLIC = process.env.ATLAS_LARGE_PUBLIC;
const skip = PUBLIC ? false : "ATLAS_LARGE_PUBLIC manque : lancez scripts/test, qui construit un grand atlas";
if (skip && IN_CI) throw new Error(`test du grand atlas impossible en CI : ${skip}`);

let server;
let browser;
before(async () => {
  if (skip) return;
  server = await serveStatic(PUBLIC);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test("sur un grand atlas, la recherche fusionne ses deux index", { skip }, async () => {
  const session = await openContext(browser, server.url);
  try {
    const page = await session.newPage();
    const bundles = new Set();
    page.on("requestfinished", (request) => {
      const match = /\/(pagefind(?:-\d+)?)\/(?:index|fragment)\//.exec(new URL(request.url()).pathname);
      if (match) bundles.add(match[1]);
    });
    await visit(page, server.url, "/recherche/");
    const form = page.locator("form#recherche");
    assert.equal(await form.getAttribute("data-pagefind-fusion"), "/pagefind-2/");
    const field = page.locator('main form input[type="search"], main form input[type="text"]').first();
    // Every generated case study is an « Étude de cas » about its cities: a common word of
    // the corpus finds pages of both indexes.
    await field.fill("patrimoine");
    await field.press("Enter");
    await page.waitForFunction(
      () => document.querySelectorAll('main a[href*="/cas/etude-"]').length >= 2,
      null,
      { timeout: 20_000 },
    );
    const shown = await page.locator('main a[href*="/cas/etude-"]').count();
    assert.ok(shown >= 2, `des études de cas trouvées (${shown})`);
    assert.deepEqual([...bundles].sort(), ["pagefind", "pagefind-2"], "les deux index sont lus");
    session.assertClean();
  } finally {
    await session.close();
  }
});

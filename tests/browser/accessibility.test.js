// axe-core (WCAG 2.0 and 2.1, levels A and AA) on the pages named by issue 7, at 1280 px
// and at 360 px, with a full-page screenshot of each in test-artifacts/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  PUBLIC, launch, openContext, visit, axe, formatViolations, artifactPath, missing,
} from "./lib/atlas.js";
import { serveStatic } from "./lib/server.js";

/** name (of the screenshot files) → path. */
export const PAGES = [
  ["accueil", "/"],
  ["ville-avignon", "/villes/avignon/"],
  ["cas-budget-participatif-avignon", "/cas/budget-participatif-avignon/"],
  ["strategie-marque-territoriale", "/strategies/marque-territoriale/"],
  ["synergies", "/synergies/"],
  ["carte", "/carte/"],
  ["observatoire", "/observatoire/"],
  ["recherche", "/recherche/"],
  ["opportunites", "/opportunites/"],
  // Beyond the list of the issue: the other kinds of pages.
  ["villes", "/villes/"],
  ["ville-a-completer-althen-des-paluds", "/villes/althen-des-paluds/"],
  ["cas", "/cas/"],
  ["strategies", "/strategies/"],
  ["canal-facebook", "/canaux/facebook/"],
  ["public-touristes", "/publics/touristes/"],
  ["intercommunalites", "/intercommunalites/"],
  ["intercommunalite-grand-avignon", "/intercommunalites/ca-du-grand-avignon-coga/"],
  ["donnees", "/donnees/"],
];
const WIDTHS = [1280, 360];

/** Full-page screenshot, cut at 16,000 px (the list of opportunities is far longer). */
async function screenshot(page, file) {
  const { width, height } = await page.evaluate(() => ({
    width: document.documentElement.clientWidth,
    height: document.documentElement.scrollHeight,
  }));
  const max = 16_000;
  await page.screenshot({ path: file, fullPage: true, ...(height > max ? { clip: { x: 0, y: 0, width, height: max } } : {}) });
}

let server;
let browser;
before(async () => {
  server = await serveStatic(PUBLIC);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

for (const [name, path] of PAGES) {
  test(`axe : 0 violation WCAG 2.1 AA sur ${path} (1280 et 360 px)`, { skip: missing(path) }, async () => {
    const report = [];
    for (const width of WIDTHS) {
      const session = await openContext(browser, server.url, { viewport: { width, height: 900 } });
      try {
        const page = await session.newPage();
        await visit(page, server.url, path);
        // Let scripts that enhance the page (filters, search, map) finish first.
        await page.waitForLoadState("networkidle");
        await screenshot(page, artifactPath("screenshots", `${name}-${width}.png`));
        const violations = await axe(page);
        if (violations.length) report.push(`à ${width} px :\n${formatViolations(violations)}`);
        session.assertClean();
      } finally {
        await session.close();
      }
    }
    assert.equal(report.length, 0, `violations axe sur ${path}\n${report.join("\n")}`);
  });
}

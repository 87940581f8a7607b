// Printing a city page (and a case study): the print stylesheet hides the navigation, keeps
// the content and the sources, spells out external links, fits the A4 width, and Chromium
// produces the PDF (kept in test-artifacts/print/).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { PUBLIC, launch, openContext, visit, artifactPath } from "./lib/atlas.js";
import { serveStatic } from "./lib/server.js";

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

// A4 minus the 1.5 cm margins of the print stylesheet, at 96 px per inch.
const A4_CONTENT_WIDTH = Math.floor(((210 - 30) / 25.4) * 96);

for (const [name, path] of [["ville-avignon", "/villes/avignon/"], ["cas-budget-participatif-avignon", "/cas/budget-participatif-avignon/"]]) {
  test(`imprimer ${path}`, async () => {
    const session = await openContext(browser, server.url, { viewport: { width: A4_CONTENT_WIDTH, height: 1000 } });
    try {
      const page = await session.newPage();
      await visit(page, server.url, path);
      await page.emulateMedia({ media: "print" });
      const state = await page.evaluate(() => {
        // Changing the media starts the (reduced, 0.01 ms) colour transitions: end them.
        for (const animation of document.getAnimations()) animation.finish();
        const shown = (sel) => {
          const el = document.querySelector(sel);
          return !!el && getComputedStyle(el).display !== "none" && el.getBoundingClientRect().height > 0;
        };
        const external = document.querySelector("main a.lien-externe");
        return {
          nav: shown(".nav-principale"),
          footerNav: shown(".pied__nav"),
          breadcrumb: shown(".fil-ariane"),
          skip: shown(".lien-evitement"),
          h1: shown("main h1"),
          sources: shown(".sources"),
          externalAfter: external ? getComputedStyle(external, "::after").content : null,
          bodyColor: getComputedStyle(document.body).color,
          h1Color: getComputedStyle(document.querySelector("main h1")).color,
          width: document.documentElement.scrollWidth,
        };
      });
      assert.equal(state.nav, false, "la navigation principale n'est pas imprimée");
      assert.equal(state.footerNav, false, "la navigation du pied de page n'est pas imprimée");
      assert.equal(state.breadcrumb, false, "le fil d'Ariane n'est pas imprimé");
      assert.equal(state.skip, false, "le lien d'évitement n'est pas imprimé");
      assert.ok(state.h1, "le titre est imprimé");
      assert.ok(state.sources, "les sources sont imprimées");
      assert.ok(state.externalAfter && state.externalAfter.includes("attr(href)") === false && state.externalAfter !== "none",
        `l'adresse des liens externes est imprimée (${state.externalAfter})`);
      assert.equal(state.bodyColor, "rgb(0, 0, 0)", "texte en noir");
      assert.equal(state.h1Color, "rgb(0, 0, 0)", "titres en noir");
      assert.ok(state.width <= A4_CONTENT_WIDTH, `la page tient dans la largeur d'une A4 (${state.width} px pour ${A4_CONTENT_WIDTH})`);

      const file = artifactPath("print", `${name}.pdf`);
      await page.pdf({ path: file, format: "A4", printBackground: false, preferCSSPageSize: true });
      const pdf = fs.readFileSync(file);
      assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");
      const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
      assert.ok(pages >= 1 && pages <= 30, `${pages} pages A4`);
      session.assertClean();
    } finally {
      await session.close();
    }
  });
}

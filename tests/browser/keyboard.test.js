// Keyboard only: the skip link comes first and works, every focused control shows a visible
// focus indicator, every control of the page is reachable with Tab, and a visitor can go from
// the home page to a city, and filter the opportunities, without a mouse.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PUBLIC, launch, openContext, visit, sitePath, missing, assertNone } from "./lib/atlas.js";
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

async function withPage(body, options = {}) {
  const session = await openContext(browser, server.url, options);
  try {
    const page = await session.newPage();
    await body(page);
    session.assertClean();
  } finally {
    await session.close();
  }
}

/** Marks every control a keyboard user must reach with data-kbd="n"; returns their count. */
function markControls() {
  const selector = [
    "a[href]", "area[href]", "button", "input:not([type=hidden])", "select", "textarea",
    "summary", "iframe", "[contenteditable]:not([contenteditable=false])", "[tabindex]",
  ].join(",");
  let n = 0;
  for (const el of document.querySelectorAll(selector)) {
    if (el.matches("[tabindex='-1'], :disabled") || el.closest("[inert], [hidden]")) continue;
    // Only what is rendered: display:none and visibility:hidden controls are not in the order.
    if (typeof el.checkVisibility === "function" && !el.checkVisibility({ visibilityProperty: true })) continue;
    el.dataset.kbd = String(n);
    n += 1;
  }
  return n;
}

/** Visual state of the focused (or not) element and of its descendants (SVG links). */
function focusLook(el) {
  const look = (e) => {
    const cs = getComputedStyle(e);
    return [cs.outlineStyle, cs.outlineWidth, cs.outlineColor, cs.boxShadow, cs.backgroundColor,
      cs.color, cs.textDecorationLine, cs.textDecorationThickness, cs.borderColor, cs.transform,
      cs.fill, cs.stroke, cs.strokeWidth, cs.fontWeight].join("|");
  };
  const parts = [look(el), ...[...el.querySelectorAll("*")].slice(0, 20).map(look)];
  const cs = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  return {
    look: parts.join("/"),
    outline: cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2,
    inView: r.bottom > 0 && r.right > 0 && r.top < window.innerHeight && r.left < window.innerWidth && r.width > 0,
  };
}

/** Waits two animation frames: focus styles may start a (reduced, 0.01 ms) transition. */
function nextFrames(page) {
  return page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))));
}

/**
 * Tabs through the whole page from the top; checks that every marked control is reached
 * and that each one, when focused, looks different from when it is not (a visible focus
 * indicator) and is scrolled into view.
 */
async function tabThrough(page, path) {
  const total = await page.evaluate(markControls);
  const seen = new Map();
  const problems = [];
  await page.evaluate(() => {
    document.activeElement?.blur();
    window.scrollTo(0, 0);
  });
  for (let i = 0; i < total + 5; i += 1) {
    await page.keyboard.press("Tab");
    const state = await page.evaluate((lookSrc) => {
      // Focus styles may start a (reduced, 0.01 ms) transition: end it before measuring.
      for (const animation of document.getAnimations()) animation.finish();
      const focusLookFn = new Function(`return (${lookSrc})`)();
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      return { kbd: el.dataset.kbd ?? null, tag: el.outerHTML.slice(0, 120), ...focusLookFn(el) };
    }, focusLook.toString());
    if (!state) break;
    if (state.kbd === null) {
      problems.push(`${path} : élément focalisable inattendu ${state.tag}`);
      continue;
    }
    if (seen.has(state.kbd)) break;
    seen.set(state.kbd, state);
    if (!state.inView) problems.push(`${path} : ${state.tag} reçoit le focus hors de l'écran`);
  }
  const missed = await page.evaluate((reached) =>
    [...document.querySelectorAll("[data-kbd]")]
      .filter((el) => !reached.includes(el.dataset.kbd))
      .map((el) => el.outerHTML.slice(0, 120)), [...seen.keys()]);
  for (const m of missed) problems.push(`${path} : jamais atteint au clavier : ${m}`);
  // The same controls without focus: a focus indicator is a visible difference.
  await page.evaluate(() => document.activeElement?.blur());
  const rest = await page.evaluate((lookSrc) => {
    for (const animation of document.getAnimations()) animation.finish();
    const focusLookFn = new Function(`return (${lookSrc})`)();
    return Object.fromEntries([...document.querySelectorAll("[data-kbd]")].map((el) => [el.dataset.kbd, focusLookFn(el).look]));
  }, focusLook.toString());
  for (const [kbd, state] of seen) {
    if (state.look === rest[kbd]) problems.push(`${path} : aucun indicateur de focus visible sur ${state.tag}`);
  }
  return { total, reached: seen.size, problems };
}

test("le lien d'évitement est le premier arrêt, visible, et mène au contenu", async () => {
  await withPage(async (page) => {
    for (const path of ["/", "/villes/avignon/", "/opportunites/"]) {
      await visit(page, server.url, path);
      await page.keyboard.press("Tab");
      await nextFrames(page);
      const skip = page.locator(":focus");
      assert.equal(await skip.getAttribute("class"), "lien-evitement", `${path} : le premier Tab atteint le lien d'évitement`);
      assert.equal(await skip.innerText(), "Aller au contenu");
      const box = await skip.boundingBox();
      assert.ok(box && box.y >= 0 && box.x >= 0 && box.width > 20, `${path} : le lien d'évitement est visible quand il a le focus`);
      const outline = await skip.evaluate((el) => getComputedStyle(el).outlineStyle);
      assert.notEqual(outline, "none", "indicateur de focus sur le lien d'évitement");
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => document.activeElement?.id === "contenu");
      assert.match(page.url(), /#contenu$/);
      // The next Tab goes to the first control of the main content, not back to the header.
      await page.keyboard.press("Tab");
      const inMain = await page.evaluate(() => !!document.activeElement?.closest("main"));
      assert.ok(inMain, `${path} : après le lien d'évitement, Tab continue dans le contenu principal`);
    }
  });
});

const PAGES = [
  "/", "/villes/avignon/", "/cas/budget-participatif-avignon/", "/strategies/marque-territoriale/",
  "/opportunites/", "/synergies/", "/carte/", "/observatoire/", "/recherche/",
];

for (const path of PAGES) {
  test(`${path} : chaque contrôle est atteignable au Tab, avec un focus visible`, { skip: missing(path), timeout: 240_000 }, async () => {
    await withPage(async (page) => {
      await visit(page, server.url, path);
      await page.waitForLoadState("networkidle");
      const { total, reached, problems } = await tabThrough(page, path);
      assert.ok(total > 5, `${path} : ${total} contrôles`);
      assertNone(problems, `au clavier sur ${path} (${reached}/${total} contrôles atteints)`);
    });
  });
}

test("au clavier seul : de l'accueil à une ville, puis filtrer les opportunités", async () => {
  await withPage(async (page) => {
    await visit(page, server.url, "/");
    // Tab until the link to Avignon in "Les villes documentées", then Enter.
    let found = false;
    for (let i = 0; i < 200 && !found; i += 1) {
      await page.keyboard.press("Tab");
      found = await page.evaluate(() => {
        const a = document.activeElement;
        return !!a && a.tagName === "A" && /\/villes\/avignon\/$/.test(a.getAttribute("href") ?? "") && !!a.closest(".grille--villes");
      });
    }
    assert.ok(found, "le lien vers Avignon est atteint au clavier");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/villes\/avignon\/$/);
    await page.waitForLoadState("load");
    assert.equal(sitePath(server.url, page.url()), "/villes/avignon/");

    await visit(page, server.url, "/opportunites/");
    await page.locator("#filtre-opportunites").waitFor({ state: "visible" });
    const total = await page.locator("[data-opportunite]").count();
    let onSelect = false;
    for (let i = 0; i < 300 && !onSelect; i += 1) {
      await page.keyboard.press("Tab");
      onSelect = await page.evaluate(() => document.activeElement?.id === "filtre-type");
    }
    assert.ok(onSelect, "le filtre par type est atteint au clavier");
    await page.keyboard.press("ArrowDown");
    await page.waitForFunction((n) => document.querySelectorAll("[data-opportunite]:not([hidden])").length < n, total);
    const status = await page.locator("#filtre-statut").innerText();
    assert.match(status, /affichées? sur/, "le nombre affiché est annoncé");
  });
});

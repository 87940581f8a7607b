// Every page of the atlas, read on a 360 px wide phone: the page never scrolls sideways and
// nothing sticks out of the screen; the only content that scrolls horizontally is the
// synergy matrix (and the wide data tables listed below), each inside its own labelled,
// keyboard-focusable region. On the way, every page is checked for console errors, failed
// requests and requests off the host.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { PUBLIC, launch, openContext, assertNone } from "./lib/atlas.js";
import { serveStatic } from "./lib/server.js";

/**
 * Regions (by aria-label) allowed to scroll horizontally at 360 px. The matrix is allowed by
 * issue 7. The data tables after it (four to eight columns, or matrices themselves) cannot
 * fit in 326 px without a stacked narrow-screen layout, which the theme does not have yet
 * (WCAG 1.4.10 allows two-dimensional tables to scroll); remove a line when its table fits.
 */
const ALLOWED_SCROLL = [
  /^Matrice des villes et des stratégies/,
  /^Maturité comparée des villes$/, // /villes/: 8 columns (a city × dimension matrix)
  /^Niveaux de maturité par ville$/, // /observatoire/: a city × dimension matrix
  /^Nombre de communes par niveau de maturité numérique, par intercommunalité$/, // /observatoire/: intercommunality × level
];

/** Every HTML page of the build, as site paths ("/villes/avignon/", "/404.html"). */
function allPages() {
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".html")) {
        const rel = path.relative(PUBLIC, full).split(path.sep).join("/");
        out.push("/" + rel.replace(/(^|\/)index\.html$/, "$1"));
      }
    }
  };
  walk(PUBLIC);
  return out.sort();
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

/** In the page: what sticks out, what scrolls sideways. */
function measure() {
  const vw = window.innerWidth;
  const doc = document.documentElement;
  const out = { docScroll: Math.max(doc.scrollWidth, document.body.scrollWidth), vw, outside: [], scrollers: [] };
  const describe = (el) => {
    const id = el.id ? `#${el.id}` : "";
    const cls = typeof el.className === "string" && el.className ? `.${el.className.trim().split(/\s+/).join(".")}` : "";
    return `${el.tagName.toLowerCase()}${id}${cls}`;
  };
  const scrolls = (el) => {
    const cs = getComputedStyle(el);
    return (cs.overflowX === "auto" || cs.overflowX === "scroll") && el.scrollWidth > el.clientWidth + 1;
  };
  const reported = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (scrolls(el)) {
      out.scrollers.push({
        what: describe(el),
        label: el.getAttribute("aria-label"),
        role: el.getAttribute("role"),
        tabindex: el.getAttribute("tabindex"),
        size: `${el.scrollWidth}>${el.clientWidth}`,
      });
    }
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right <= vw + 1 && r.left >= -1) continue;
    // Inside a scroll region, or visually hidden on purpose (1 px, clipped).
    let p = el.parentElement;
    let inside = false;
    while (p && p !== document.body) {
      if (scrolls(p) || getComputedStyle(p).overflowX !== "visible") { inside = true; break; }
      p = p.parentElement;
    }
    if (inside || (r.width <= 1 && r.height <= 1)) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === "hidden") continue;
    // Only the outermost element that sticks out (not each of its cells).
    if (reported.some((o) => o.contains(el))) continue;
    reported.push(el);
    out.outside.push(`${describe(el)} (${Math.round(r.left)}→${Math.round(r.right)} px)`);
  }
  out.outside = out.outside.slice(0, 10);
  return out;
}

/** Pages grouped by section (first segment of the path): one test per section. */
function sections() {
  const groups = new Map();
  for (const p of allPages()) {
    const section = p === "/" || !p.slice(1).includes("/") ? "/" : `/${p.split("/")[1]}/`;
    if (!groups.has(section)) groups.set(section, []);
    groups.get(section).push(p);
  }
  return groups;
}

const allowedSeen = new Set();
const groups = sections();

test("le site a ses pages", () => {
  const total = [...groups.values()].reduce((n, g) => n + g.length, 0);
  assert.ok(total > 100, `${total} pages`);
});

for (const [section, pages] of groups) {
  const label = section === "/" ? "l'accueil et les pages à la racine" : `${section} (${pages.length} pages)`;
  test(`à 360 px : ${label} ne défilent pas horizontalement, sauf la matrice dans son cadre`, { timeout: 300_000 }, async () => {
    const session = await openContext(browser, server.url, { viewport: { width: 360, height: 740 } });
    const failures = [];
    try {
      const page = await session.newPage();
      for (const p of pages) {
        const res = await page.goto(new URL(p.slice(1), server.url).href, { waitUntil: "load" });
        if (res.status() !== 200) failures.push(`${p} : HTTP ${res.status()}`);
        const m = await page.evaluate(measure);
        if (m.docScroll > m.vw) failures.push(`${p} : la page défile horizontalement (${m.docScroll} px pour ${m.vw})`);
        for (const o of m.outside) failures.push(`${p} : dépasse de l'écran : ${o}`);
        for (const s of m.scrollers) {
          const allowed = ALLOWED_SCROLL.find((re) => re.test(s.label ?? ""));
          if (!allowed) {
            failures.push(`${p} : ${s.what} « ${s.label ?? "sans nom"} » défile horizontalement (${s.size})`);
            continue;
          }
          allowedSeen.add(allowed.source);
          if (s.role !== "region" || s.tabindex !== "0") {
            failures.push(`${p} : la zone « ${s.label} » défile sans être une région nommée atteignable au clavier`);
          }
        }
      }
      assertNone(failures, "de lecture à 360 px");
      session.assertClean();
    } finally {
      await session.close();
    }
  });
}

test("à 360 px : chaque exception de ALLOWED_SCROLL sert encore", () => {
  // An allowance nobody needs any more must go (the table now fits).
  const unused = ALLOWED_SCROLL.filter((re) => !allowedSeen.has(re.source)).map((re) => re.source);
  assert.deepEqual(unused, [], "ces tableaux tiennent maintenant en 360 px : retirez-les de ALLOWED_SCROLL");
});

// Shared set-up of the browser tests: where the built atlas is, Debian's Chromium driven
// by playwright-core, and a guard on every page that records console errors, uncaught
// exceptions, failed requests, HTTP errors and any request that leaves the host.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

export const REPO = path.resolve(here, "..", "..", "..");
/** The atlas built from content/ (scripts/test builds it in a temporary folder). */
export const PUBLIC = path.resolve(process.env.ATLAS_PUBLIC || path.join(REPO, "public"));
export const ARTIFACTS = path.resolve(process.env.ATLAS_ARTIFACTS || path.join(REPO, "test-artifacts"));
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const IN_CI = process.env.CI === "true" || process.env.CI === "1";

/** The flags Debian's Chromium needs on a closed network (see the README). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

if (!fs.existsSync(path.join(PUBLIC, "index.html"))) {
  throw new Error(
    `no built atlas in ${PUBLIC}: run scripts/test, or build one and set ATLAS_PUBLIC ` +
      "(cargo run --release -- build --output /tmp/atlas/public)",
  );
}
if (!fs.existsSync(CHROMIUM)) {
  // Never a silent skip: the browser tests are part of the test command.
  throw new Error(
    `Chromium not found at ${CHROMIUM}: install it (Debian: apt-get install chromium chromium-driver) ` +
      "or set CHROMIUM_PATH",
  );
}

/** True when the page exists in the build (folder URL with its index.html). */
export function pageExists(urlPath) {
  const rel = urlPath.replace(/^\//, "");
  return fs.existsSync(path.join(PUBLIC, rel, "index.html"));
}

/**
 * Pages that other issues are adding (search, map, observatory, data): their tests skip,
 * with this message, only while the page is absent from the build, and enforce as soon as
 * it is there. Any other page must exist.
 */
export const PENDING = ["/carte/", "/observatoire/", "/recherche/", "/donnees/"];

/** The skip reason for a test of a pending page that is not built yet, or false. */
export function missing(urlPath) {
  if (!PENDING.some((p) => urlPath.startsWith(p)) || pageExists(urlPath)) return false;
  return `${urlPath} n'existe pas encore dans le site construit (${path.join(PUBLIC, urlPath.replace(/^\//, ""), "index.html")} absent) : ce test s'appliquera dès que la page sera générée`;
}

export function readPage(urlPath) {
  return fs.readFileSync(path.join(PUBLIC, urlPath.replace(/^\//, ""), "index.html"), "utf8");
}

/**
 * Launches Chromium. playwright-core starts it with a new, empty --user-data-dir in the
 * temporary folder (removed at close) on top of these flags.
 */
export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/**
 * A browser context bound to one site origin. Every request to another host is aborted
 * and recorded; so are console errors, uncaught exceptions, failed requests and HTTP
 * responses >= 400. Call `assertClean()` at the end of the test (`allow` lists patterns
 * of expected problems, such as the 404 of a page visited on purpose).
 */
export async function openContext(browser, siteUrl, options = {}) {
  const origin = new URL(siteUrl);
  const context = await browser.newContext({
    viewport: options.viewport || { width: 1280, height: 900 },
    locale: "fr-FR",
    timezoneId: "Europe/Paris",
    reducedMotion: "reduce",
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    serviceWorkers: "block",
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const problems = [];
  const visited = new Set();

  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || url.protocol === "blob:" || url.host === origin.host) {
      return route.continue();
    }
    problems.push(`requête hors de l'hôte : ${url.href} (depuis ${route.request().frame()?.url() ?? "?"})`);
    return route.abort("blockedbyclient");
  });

  const watch = (page) => {
    page.on("console", (msg) => {
      if (msg.type() === "error") {
        const loc = msg.location();
        problems.push(`erreur de console sur ${page.url()} : ${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ""}`);
      }
    });
    page.on("pageerror", (err) => problems.push(`exception sur ${page.url()} : ${err.message}`));
    page.on("requestfailed", (req) => {
      // net::ERR_ABORTED is a cancellation, not a failure: leaving a page cancels what it
      // still loads (the favicon, fetched after the load event). A missing file shows up as
      // an HTTP error below, a refused connection or a CSP block with its own error code.
      if (req.failure()?.errorText === "net::ERR_ABORTED") return;
      problems.push(`requête échouée : ${req.url()} (${req.failure()?.errorText}) depuis ${page.url()}`);
    });
    page.on("response", (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()} : ${res.url()} depuis ${page.url()}`);
    });
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) visited.add(frame.url());
    });
  };
  context.on("page", watch);

  return {
    context,
    problems,
    visited,
    async newPage() {
      return context.newPage();
    },
    /** Fails the test when anything went wrong on any page visited in this context. */
    assertClean(allow = []) {
      const left = problems.filter((p) => !allow.some((re) => re.test(p)));
      assertNone(left, `pendant la visite de ${[...visited].join(", ")}`);
    },
    async close() {
      await context.close();
    },
  };
}

/** Fails with the first 40 problems of the list, one a line, when there are any. */
export function assertNone(problems, what) {
  if (problems.length === 0) return;
  const shown = problems.slice(0, 40).join("\n");
  const more = problems.length > 40 ? `\n… et ${problems.length - 40} autres` : "";
  assert.fail(`${problems.length} problème(s) ${what} :\n${shown}${more}`);
}

/** Goes to a page of the site and checks it answers 200 with a title and one h1. */
export async function visit(page, siteUrl, urlPath) {
  const res = await page.goto(new URL(urlPath.replace(/^\//, ""), siteUrl).href, { waitUntil: "load" });
  assert.ok(res, `pas de réponse pour ${urlPath}`);
  assert.equal(res.status(), 200, `${urlPath} répond ${res.status()}`);
  assert.ok((await page.title()).length > 0, `${urlPath} sans <title>`);
  assert.equal(await page.locator("h1").count(), 1, `${urlPath} doit avoir un seul h1`);
  return res;
}

/** Path of a URL relative to the site root ("/villes/avignon/" for siteUrl + "villes/avignon/"). */
export function sitePath(siteUrl, url) {
  const base = new URL(siteUrl);
  const u = new URL(url, base);
  assert.equal(u.host, base.host, `${url} n'est pas sur le site`);
  assert.ok(u.pathname.startsWith(base.pathname), `${url} n'est pas sous ${base.pathname}`);
  return "/" + u.pathname.slice(base.pathname.length);
}

let axeSource;
/** Runs axe-core on the page with the WCAG 2.0/2.1 A and AA rules; returns the violations. */
export async function axe(page) {
  axeSource ??= fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  // page.evaluate goes through the DevTools protocol: the page's CSP (script-src 'self')
  // does not apply, so there is no need to weaken it with bypassCSP.
  if (!(await page.evaluate(() => typeof window.axe === "object"))) {
    await page.evaluate(axeSource);
  }
  const results = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      resultTypes: ["violations"],
    }),
  );
  return results.violations;
}

export function formatViolations(violations) {
  return violations
    .map(
      (v) =>
        `- ${v.id} (${v.impact}) : ${v.help}\n  ${v.helpUrl}\n` +
        v.nodes
          .slice(0, 8)
          .map((n) => `    ${n.target.join(" ")} — ${n.failureSummary?.replace(/\n\s*/g, " ")}`)
          .join("\n") +
        (v.nodes.length > 8 ? `\n    … et ${v.nodes.length - 8} autres` : ""),
    )
    .join("\n");
}

export function artifactPath(...parts) {
  const file = path.join(ARTIFACTS, ...parts);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Clicks a real point of an element (SVG shapes: a point inside the shape, not the box). */
export async function clickInside(page, locator) {
  await locator.scrollIntoViewIfNeeded();
  const point = await locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    for (let n = 2; n <= 24; n *= 2) {
      for (let i = 1; i < n; i += 1) {
        for (let j = 1; j < n; j += 1) {
          const x = r.left + (r.width * i) / n;
          const y = r.top + (r.height * j) / n;
          const hit = document.elementFromPoint(x, y);
          if (hit && (hit === el || el.contains(hit))) return { x, y };
        }
      }
    }
    return null;
  });
  assert.ok(point, "aucun point cliquable dans l'élément");
  await page.mouse.click(point.x, point.y);
}

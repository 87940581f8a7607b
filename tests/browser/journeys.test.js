// What a visitor does, in Chromium, on the real atlas served over loopback: open the home
// page, reach a city from the list and from the map, follow a strategy to the cities that
// share it, open a case study, search with and without accents, filter opportunities, and
// land on the 404 page. No console error, no failed request, no request off the host.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  PUBLIC, launch, openContext, visit, sitePath, missing, clickInside,
} from "./lib/atlas.js";
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

/** Runs `body(page, session)` in a fresh context and checks it stayed clean. */
async function journey(body, { allow = [], ...options } = {}) {
  const session = await openContext(browser, server.url, options);
  try {
    const page = await session.newPage();
    await body(page, session);
    session.assertClean(allow);
  } finally {
    await session.close();
  }
}

const here = (page) => sitePath(server.url, page.url());

test("la page d'accueil présente l'atlas, ses leviers, ses villes et ses études de cas", async () => {
  await journey(async (page) => {
    await visit(page, server.url, "/");
    assert.equal(await page.locator("html").getAttribute("lang"), "fr");
    await assert.doesNotReject(page.locator("h1").waitFor());
    assert.match(await page.locator("h1").innerText(), /Atlas/);
    const nav = page.getByRole("navigation", { name: "Navigation principale" });
    assert.ok((await nav.getByRole("link").count()) >= 4, "la navigation principale a des liens");
    assert.ok(await page.locator("#titre-leviers").isVisible());
    assert.ok((await page.locator(".grille--villes a").count()) > 0, "des villes documentées");
    assert.ok((await page.locator(".carte-cas a").count()) > 0, "des études de cas récentes");
    // The stylesheet is applied (not a bare HTML page).
    const skip = await page.locator(".lien-evitement").evaluate((el) => getComputedStyle(el).position);
    assert.equal(skip, "absolute", "la feuille de style est chargée");
  });
});

test("de la liste des villes à la page d'une ville", async () => {
  await journey(async (page) => {
    await visit(page, server.url, "/");
    await page.getByRole("navigation", { name: "Navigation principale" }).getByRole("link", { name: /Villes/ }).click();
    await page.waitForLoadState("load");
    assert.equal(here(page), "/villes/");
    await page.locator("#titre-completes").waitFor();
    await page.getByRole("region", { name: "Villes dont la fiche est complète" }).getByRole("link", { name: "Avignon", exact: true }).click();
    await page.waitForLoadState("load");
    assert.equal(here(page), "/villes/avignon/");
    assert.equal(await page.locator("h1").innerText(), "Avignon");
    assert.ok(await page.locator("#titre-identite").isVisible());
    assert.match(await page.locator(".fiche__liste").innerText(), /84007/, "code INSEE d'Avignon");
    // A commune with an identity card only, from the list of the others.
    await page.goBack();
    const other = page.locator(".liste-communes a").first();
    const name = await other.innerText();
    await other.click();
    await page.waitForLoadState("load");
    assert.match(here(page), /^\/villes\/[a-z0-9-]+\/$/);
    assert.equal(await page.locator("h1").innerText(), name);
    assert.ok(await page.locator(".note--a-completer").isVisible(), "fiche marquée à compléter");
  });
});

test("de la carte à la page d'une ville", { skip: missing("/carte/") }, async () => {
  await journey(async (page) => {
    await visit(page, server.url, "/carte/");
    const communes = page.locator('main svg a[href*="/villes/"]');
    assert.ok((await communes.count()) >= 100, `la carte montre les communes (${await communes.count()} liens)`);
    const avignon = page.locator('main svg a[href$="/villes/avignon/"]').first();
    assert.equal(await avignon.count(), 1, "Avignon est sur la carte");
    const label = (await avignon.getAttribute("aria-label")) ?? (await avignon.textContent());
    assert.match(label ?? "", /Avignon/, "le lien de la commune porte son nom");
    await clickInside(page, avignon);
    await page.waitForURL(/\/villes\/avignon\/$/);
    await page.waitForLoadState("load");
    assert.equal(await page.locator("h1").innerText(), "Avignon");
  });
});

test("d'une stratégie d'une ville aux villes qui la partagent", async () => {
  await journey(async (page) => {
    await visit(page, server.url, "/villes/avignon/");
    const strategies = page.locator("section[aria-labelledby='titre-strategies'] .fait__nom > a");
    assert.ok((await strategies.count()) > 0, "Avignon a des stratégies documentées");
    // The first strategy shared with at least one other city.
    let found = null;
    for (const link of await strategies.all()) {
      const name = await link.innerText();
      await link.click();
      await page.waitForLoadState("load");
      assert.match(here(page), /^\/strategies\/[a-z0-9-]+\/$/);
      assert.equal(await page.locator("h1").innerText(), name);
      const villes = page.locator("section[aria-labelledby='titre-villes'] .fait__nom a");
      const names = await villes.allInnerTexts();
      assert.ok(names.includes("Avignon"), `${name} liste Avignon parmi ses villes`);
      if (names.length > 1) {
        found = { name, other: names.find((n) => n !== "Avignon") };
        break;
      }
      await page.goBack();
    }
    assert.ok(found, "au moins une stratégie d'Avignon est partagée avec une autre ville");
    // That other city links back to the same strategy (from its card or one of its case
    // studies: the strategy page lists both).
    const strategyPath = here(page);
    await page.locator("section[aria-labelledby='titre-villes'] .fait__nom a", { hasText: found.other }).first().click();
    await page.waitForLoadState("load");
    assert.equal(await page.locator("h1").innerText(), found.other);
    const back = page.locator(`main a[href$="${strategyPath}"]`);
    assert.ok((await back.count()) > 0, `${found.other} renvoie aussi à « ${found.name} »`);
  });
});

test("ouvrir une étude de cas depuis la liste et depuis une ville", async () => {
  await journey(async (page) => {
    await visit(page, server.url, "/cas/");
    const first = page.locator(".carte-cas .carte__titre a").first();
    const titre = await first.innerText();
    await first.click();
    await page.waitForLoadState("load");
    assert.match(here(page), /^\/cas\/[a-z0-9-]+\/$/);
    assert.equal(await page.locator("h1").innerText(), titre);
    assert.ok((await page.locator("article.etude .prose").innerText()).length > 200, "le corps de l'étude");
    assert.ok((await page.locator(".sources__liste li").count()) > 0, "l'étude cite ses sources");
    assert.ok((await page.locator(".etude__meta time[datetime]").count()) === 1, "l'étude est datée");

    await visit(page, server.url, "/villes/avignon/");
    const cas = page.locator("section[aria-labelledby='titre-cas'] .carte__titre a").first();
    const href = await cas.getAttribute("href");
    await cas.click();
    await page.waitForLoadState("load");
    assert.equal(here(page), sitePath(server.url, new URL(href, page.url()).href));
    // The case study links back to the city.
    assert.ok((await page.locator('.etude__meta a[href$="/villes/avignon/"]').count()) > 0);
  });
});

/** The search form of the home page: a GET form to /recherche/ with a text field. */
async function searchFrom(page, query) {
  await visit(page, server.url, "/");
  const form = page.locator('form[action$="/recherche/"]').first();
  assert.equal(await form.count(), 1, "un formulaire de recherche vers /recherche/ sur l'accueil");
  const method = ((await form.getAttribute("method")) ?? "get").toLowerCase();
  assert.equal(method, "get", "le formulaire de recherche est en GET (il marche sans JavaScript)");
  const field = form.locator('input[type="search"], input[type="text"], input:not([type])').first();
  assert.ok(await field.isVisible(), "le champ de recherche est visible");
  const name = await field.getAttribute("name");
  assert.ok(name, "le champ de recherche a un nom (paramètre de l'URL)");
  await field.fill(query);
  await field.press("Enter");
  await page.waitForURL((url) => url.pathname.endsWith("/recherche/") && url.searchParams.get(name) === query);
  await page.waitForLoadState("load");
  // Results: links of the main content (the browse lists of the page name no town). They
  // may be redrawn as the query settles: wait for the city's page among them.
  await page.waitForFunction(
    () => [...document.querySelectorAll('main a[href$="/villes/valreas/"]')].some((a) => a.checkVisibility()),
    null, { timeout: 15_000 },
  ).catch(() => {});
  return page.locator('main a[href*="valreas"]').evaluateAll((links) => links.map((a) => a.getAttribute("href")));
}

/** Types a query in the field of /recherche/ itself; true when a link to `expected` shows. */
async function searchFromField(page, query, expected) {
  const field = page.locator('main form input[type="search"], main form input[type="text"]').first();
  await field.fill(query);
  await field.press("Enter");
  // The results may be redrawn as the query settles: wait until one links to `expected`.
  const found = await page.waitForFunction(
    (end) => [...document.querySelectorAll("main a[href]")].some((a) => a.getAttribute("href").endsWith(end) && a.checkVisibility()),
    expected, { timeout: 15_000 },
  ).then(() => true, () => false);
  return found;
}

test("rechercher « Valréas » (avec accent) puis « valreas » (sans)", { skip: missing("/recherche/") }, async () => {
  await journey(async (page) => {
    const accented = await searchFrom(page, "Valréas");
    assert.ok(accented.some((h) => h.endsWith("/villes/valreas/")), `« Valréas » trouve la page de Valréas (${accented})`);
    const plain = await searchFrom(page, "valreas");
    assert.ok(plain.some((h) => h.endsWith("/villes/valreas/")), `« valreas » trouve la page de Valréas (${plain})`);
    // Follow the result.
    await page.locator('main a[href$="/villes/valreas/"]').first().click();
    await page.waitForLoadState("load");
    assert.equal(here(page), "/villes/valreas/");
    assert.equal(await page.locator("h1").innerText(), "Valréas");
    // An unaccented query for an accented word of the text, from the field of /recherche/.
    await visit(page, server.url, "/recherche/");
    const strategy = await searchFromField(page, "evenementiel", "/strategies/evenementiel/");
    assert.ok(strategy, "« evenementiel » trouve la stratégie « événementielle »");
  });
});

test("la page de recherche s'affiche sans JavaScript et propose de parcourir l'atlas", { skip: missing("/recherche/") }, async () => {
  await journey(async (page) => {
    await visit(page, server.url, "/recherche/?q=valreas");
    assert.ok((await page.locator('main a[href$="/villes/"]').count()) > 0, "un lien vers la liste des villes");
  }, { javaScriptEnabled: false });
});

test("filtrer les opportunités (par type, par ville, puis tout afficher)", async () => {
  await journey(async (page) => {
    await visit(page, server.url, "/opportunites/");
    const form = page.locator("#filtre-opportunites");
    await form.waitFor({ state: "visible" });
    const items = page.locator("[data-opportunite]");
    const total = await items.count();
    assert.ok(total > 1, `${total} opportunités`);
    const status = page.locator("#filtre-statut");
    const visible = () => page.locator("[data-opportunite]:visible");

    const type = await page.locator("#filtre-type option").nth(1).getAttribute("value");
    await page.locator("#filtre-type").selectOption(type);
    const shownByType = await visible().count();
    assert.ok(shownByType > 0 && shownByType < total, `filtre « ${type} » : ${shownByType} sur ${total}`);
    for (const t of await visible().evaluateAll((els) => els.map((e) => e.dataset.type))) {
      assert.equal(t, type);
    }
    assert.match(await status.innerText(), new RegExp(`^${shownByType} opportunités? affichées? sur ${total}\\.$`));

    await page.locator("#filtre-type").selectOption("");
    await page.locator("#filtre-ville").selectOption("avignon");
    const byCity = await visible().evaluateAll((els) => els.map((e) => e.dataset.villes.split(" ")));
    assert.ok(byCity.length > 0, "des opportunités pour Avignon");
    for (const villes of byCity) assert.ok(villes.includes("avignon"));

    await page.locator("#filtre-ville").selectOption("");
    assert.equal(await visible().count(), total, "sans filtre, tout est affiché");
  });
});

test("sans JavaScript, les filtres des opportunités sont des pages", async () => {
  await journey(async (page) => {
    await visit(page, server.url, "/opportunites/");
    assert.equal(await page.locator("#filtre-opportunites").isVisible(), false, "le filtre dynamique reste caché");
    const link = page.locator(".filtres__liste a").nth(1);
    const label = await link.innerText();
    await link.click();
    await page.waitForLoadState("load");
    assert.match(here(page), /^\/opportunites\/[a-z0-9-]+\/$/);
    assert.equal(await page.locator('.filtres__liste a[aria-current="page"]').innerText(), label);
    const count = Number(/\((\d+)\)/.exec(label)?.[1]);
    assert.equal(await page.locator("[data-opportunite]").count(), count, `« ${label} » annonce le bon nombre`);
  }, { javaScriptEnabled: false });
});

test("une adresse inconnue donne la page 404 de l'atlas, avec son style", async () => {
  await journey(async (page) => {
    const res = await page.goto(new URL("nexiste-pas/", server.url).href);
    assert.equal(res.status(), 404);
    assert.equal(await page.locator("h1").innerText(), "Page introuvable");
    await page.locator(".liens-utiles a").first().click();
    await page.waitForLoadState("load");
    assert.equal(here(page), "/");
  }, {
    // The 404 of the page visited on purpose, and the console line Chromium writes for it.
    allow: [/HTTP 404 : .*\/nexiste-pas\/ /, /erreur de console sur .*\/nexiste-pas\/ : Failed to load resource: the server responded with a status of 404/],
  });
});

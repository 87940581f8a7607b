#!/usr/bin/env python3
"""Feeds, sitemap and robots.txt of a built atlas: well-formed XML, and nothing missing.

Usage: scripts/check-xml.py PUBLIC_DIR

- Every *.xml file of the output must be well-formed XML.
- Every feed or XML file a page announces (<link rel="alternate" type="application/atom+xml">,
  <a href="….xml">) and the sitemap robots.txt names must exist in the output: a page that
  links to a missing feed is an error.
- sitemap.xml (when there is one) is a sitemaps.org <urlset> whose every <loc> is a page of
  the site, under its base URL; the Atom feed (when there is one) is an RFC 4287 <feed>
  whose entries have an id, a title, an updated date and a link to a page of the site.

Only the Python standard library: no network, no dependency.
"""

import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit, unquote

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
FEED_TYPES = {"application/atom+xml", "application/rss+xml", "application/feed+json"}


class Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.canonical = None
        self.refs = []  # (kind, href)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        href = a.get("href")
        if tag == "link" and href:
            rel = (a.get("rel") or "").lower().split()
            if "canonical" in rel:
                self.canonical = href
            if "alternate" in rel and (a.get("type") or "").lower() in FEED_TYPES:
                self.refs.append(("flux annoncé", href))
            if "sitemap" in rel:
                self.refs.append(("plan du site annoncé", href))
        elif tag == "a" and href and urlsplit(href).path.endswith(".xml"):
            self.refs.append(("lien", href))


def main(public: Path) -> int:
    errors = []
    notes = []

    def local(url: str, base: str, page_url: str):
        """The file of the output a URL of the site points to, or None when it is elsewhere."""
        absolute = urljoin(page_url, url)
        if not absolute.startswith(base):
            return None
        rel = unquote(urlsplit(absolute).path[len(urlsplit(base).path):])
        target = public / rel
        if rel == "" or rel.endswith("/"):
            target = target / "index.html"
        return target

    home = public / "index.html"
    parser = Links()
    parser.feed(home.read_text(encoding="utf-8"))
    base = parser.canonical
    if not base or not base.endswith("/"):
        print(f"erreur : {home} : pas d’URL canonique de l’accueil (base du site)", file=sys.stderr)
        return 1

    # 1. Every XML file is well-formed.
    parsed = {}
    for xml in sorted(public.rglob("*.xml")):
        try:
            parsed[xml] = ET.parse(xml).getroot()
        except ET.ParseError as e:
            errors.append(f"{xml.relative_to(public)} : XML mal formé : {e}")

    # 2. What the pages announce exists (and is checked above when it is XML).
    announced = {}
    for page in sorted(public.rglob("*.html")):
        rel = page.relative_to(public).as_posix()
        page_url = base + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        p = Links()
        p.feed(page.read_text(encoding="utf-8"))
        for kind, href in p.refs:
            target = local(href, base, page_url)
            if target is None:
                continue
            announced.setdefault(target, (kind, href, rel))
    robots = public / "robots.txt"
    if robots.exists():
        for line in robots.read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("sitemap:"):
                url = line.split(":", 1)[1].strip()
                target = local(url, base, base)
                if target is None:
                    errors.append(f"robots.txt : le plan du site {url} n’est pas sous {base}")
                else:
                    announced.setdefault(target, ("plan du site de robots.txt", url, "robots.txt"))
    for target, (kind, href, where) in sorted(announced.items()):
        if not target.is_file():
            errors.append(f"{where} : {kind} {href} absent de la sortie ({target.relative_to(public)})")

    # 3. The sitemap lists pages of the site.
    sitemap = public / "sitemap.xml"
    if sitemap in parsed:
        root = parsed[sitemap]
        if root.tag != f"{SITEMAP}urlset":
            errors.append(f"sitemap.xml : racine {root.tag}, attendu {SITEMAP}urlset")
        locs = [e.text.strip() for e in root.iter(f"{SITEMAP}loc") if e.text]
        if not locs:
            errors.append("sitemap.xml : aucune <loc>")
        for loc in locs:
            target = local(loc, base, base)
            if target is None:
                errors.append(f"sitemap.xml : {loc} n’est pas sous {base}")
            elif not target.is_file():
                errors.append(f"sitemap.xml : {loc} ne correspond à aucune page ({target.relative_to(public)})")
        pages = [p for p in public.rglob("index.html")]
        notes.append(f"sitemap.xml : {len(locs)} adresses pour {len(pages)} pages index.html")
    elif not sitemap.exists():
        notes.append("sitemap.xml : pas (encore) de plan du site dans la sortie")

    # 4. Atom feeds.
    for xml, root in parsed.items():
        if root.tag != f"{ATOM}feed":
            continue
        name = xml.relative_to(public).as_posix()
        for field in ("id", "title", "updated"):
            if root.find(f"{ATOM}{field}") is None:
                errors.append(f"{name} : <{field}> manquant dans <feed>")
        entries = root.findall(f"{ATOM}entry")
        if not entries:
            errors.append(f"{name} : aucune <entry>")
        for i, entry in enumerate(entries, 1):
            for field in ("id", "title", "updated"):
                if entry.find(f"{ATOM}{field}") is None:
                    errors.append(f"{name} : entrée {i} : <{field}> manquant")
            links = [l.get("href") for l in entry.findall(f"{ATOM}link") if l.get("rel", "alternate") == "alternate"]
            if not links:
                errors.append(f"{name} : entrée {i} : pas de <link rel=\"alternate\">")
            for href in links:
                target = local(href, base, base)
                if target is not None and not target.is_file():
                    errors.append(f"{name} : entrée {i} : {href} ne correspond à aucune page")
        notes.append(f"{name} : flux Atom, {len(entries)} entrées")

    for n in notes:
        print(n)
    if not errors:
        print(f"{len(parsed)} fichiers XML bien formés, rien d’annoncé ne manque")
    for e in errors:
        print(f"erreur : {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1]).resolve()))

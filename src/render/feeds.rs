//! Feeds and SEO files: the Atom feed of case studies (`cas/atom.xml`), `sitemap.xml` and
//! `robots.txt`. Nothing depends on the time of the build: the feed's `updated` is the date of
//! the newest case study, so the same content always gives the same bytes.

use super::{Ctx, OutputFile};
use crate::markdown::typography;

/// Path of the Atom feed in the output.
pub const ATOM_PATH: &str = "cas/atom.xml";

/// Escapes text for XML content and attribute values.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A content date (`AAAA-MM-JJ`, `AAAA-MM` or `AAAA`) as an RFC 3339 timestamp at midnight UTC.
pub fn rfc3339(date: &str) -> String {
    let mut parts = date.split('-');
    let year = parts.next().unwrap_or("1970");
    let month = parts.next().unwrap_or("01");
    let day = parts.next().unwrap_or("01");
    format!("{year}-{month}-{day}T00:00:00Z")
}

impl Ctx<'_> {
    /// `cas/atom.xml`, `sitemap.xml` (of the pages at `urls`: every page of the site) and
    /// `robots.txt`.
    pub(super) fn feed_files(&self, urls: &[String]) -> Vec<OutputFile> {
        vec![
            OutputFile {
                path: ATOM_PATH.into(),
                bytes: self.atom_feed().into_bytes(),
            },
            OutputFile {
                path: "sitemap.xml".into(),
                bytes: self.sitemap(urls).into_bytes(),
            },
            OutputFile {
                path: "robots.txt".into(),
                bytes: self.robots_txt().into_bytes(),
            },
        ]
    }

    /// The Atom feed (RFC 4287) of case studies, newest first (the site's order).
    pub(super) fn atom_feed(&self) -> String {
        let site = self.site;
        let base = &site.config.base_url;
        let author = site.config.editeur.as_deref().unwrap_or(&site.config.titre);
        // The newest case study dates the feed; without any, the newest consulted source.
        let updated = site
            .cases
            .iter()
            .map(|c| c.date.as_str())
            .max()
            .or_else(|| {
                site.cities
                    .iter()
                    .flat_map(|c| c.sources.iter().map(|s| s.consulte.as_str()))
                    .max()
            });
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"");
        out.push_str(&xml_escape(&site.config.langue));
        out.push_str("\">\n");
        let field = |out: &mut String, indent: &str, tag: &str, text: &str| {
            out.push_str(&format!("{indent}<{tag}>{}</{tag}>\n", xml_escape(text)));
        };
        field(&mut out, "  ", "id", &format!("{base}{ATOM_PATH}"));
        field(
            &mut out,
            "  ",
            "title",
            &typography(&format!("{} — études de cas", site.config.titre)),
        );
        field(
            &mut out,
            "  ",
            "subtitle",
            &typography(&site.config.description),
        );
        field(
            &mut out,
            "  ",
            "updated",
            &rfc3339(updated.unwrap_or("1970-01-01")),
        );
        out.push_str(&format!(
            "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
            xml_escape(&format!("{base}{ATOM_PATH}"))
        ));
        out.push_str(&format!(
            "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml_escape(&format!("{base}cas/"))
        ));
        out.push_str("  <author>\n");
        field(&mut out, "    ", "name", author);
        out.push_str("  </author>\n");
        field(&mut out, "  ", "rights", "Licence Ouverte 2.0 (Etalab)");
        out.push_str("  <generator>vaucluse-atlas</generator>\n");
        for case in &site.cases {
            let url = format!("{base}cas/{}/", case.slug);
            out.push_str("  <entry>\n");
            field(&mut out, "    ", "id", &url);
            field(&mut out, "    ", "title", &typography(&case.titre));
            field(&mut out, "    ", "updated", &rfc3339(&case.date));
            field(&mut out, "    ", "published", &rfc3339(&case.date));
            out.push_str(&format!(
                "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
                xml_escape(&url)
            ));
            out.push_str("    <author>\n");
            field(&mut out, "      ", "name", author);
            out.push_str("    </author>\n");
            for &s in &case.strategies {
                let strategy = &site.strategies[s];
                out.push_str(&format!(
                    "    <category term=\"{}\" scheme=\"{}\" label=\"{}\"/>\n",
                    xml_escape(&strategy.slug),
                    xml_escape(&format!("{base}strategies/")),
                    xml_escape(&typography(&strategy.nom))
                ));
            }
            field(&mut out, "    ", "summary", &typography(&case.resume));
            out.push_str("  </entry>\n");
        }
        out.push_str("</feed>\n");
        out
    }

    /// `sitemap.xml` (sitemaps.org 0.9): the absolute URL of every page but `404.html`.
    pub(super) fn sitemap(&self, urls: &[String]) -> String {
        let mut urls: Vec<&str> = urls
            .iter()
            .map(String::as_str)
            .filter(|url| *url != "404.html")
            .collect();
        urls.sort_unstable();
        urls.dedup();
        let mut out = String::from(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        for url in urls {
            out.push_str(&format!(
                "  <url><loc>{}</loc></url>\n",
                xml_escape(&format!("{}{url}", self.site.config.base_url))
            ));
        }
        out.push_str("</urlset>\n");
        out
    }

    /// `robots.txt`: everything may be crawled; the sitemap's absolute URL.
    pub(super) fn robots_txt(&self) -> String {
        format!(
            "User-agent: *\nAllow: /\n\nSitemap: {}sitemap.xml\n",
            self.site.config.base_url
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(
            xml_escape("L'« art » & <la> \"manière\"\u{1}"),
            "L&apos;« art » &amp; &lt;la&gt; &quot;manière&quot;"
        );
    }

    #[test]
    fn dates_become_rfc3339_timestamps() {
        assert_eq!(rfc3339("2024-12-01"), "2024-12-01T00:00:00Z");
        assert_eq!(rfc3339("2024-12"), "2024-12-01T00:00:00Z");
        assert_eq!(rfc3339("2024"), "2024-01-01T00:00:00Z");
    }
}

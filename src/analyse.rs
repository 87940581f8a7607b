//! Stage 3, **analyse**: pure functions from the resolved [`Site`] to what the pages need
//! beyond the content itself: inverted indexes (which cities use a strategy, which case
//! studies concern a city…), the explained links between cities, related case studies, and
//! computed opportunities.
//!
//! Everything is built from inverted indexes: one pass over the cities and one over the case
//! studies, then work per posting list. Pairs of *cities* are enumerated (they are at most a
//! few hundred); pairs of *case studies* never are: related case studies are found through the
//! posting lists of their cities, strategies and publics, each read up to
//! [`POSTING_LIMIT`] entries, so the cost grows linearly with the number of case studies.
//! No I/O happens here, and every output is in a deterministic order.

use std::collections::{BTreeMap, HashMap};

use crate::model::{ChannelFamily, Lever};
use crate::resolve::Site;

/// How many entries of one posting list are read when looking for related case studies:
/// bounds the work per case study whatever the size of the atlas. Lists are newest first.
pub const POSTING_LIMIT: usize = 100;

/// Inverted indexes: for each taxonomy term, city or intercommunality, the cities and case
/// studies attached to it, as indexes into `Site::cities` and `Site::cases`, ascending.
///
/// A city *uses* a strategy, channel or public when its card says so or when a case study
/// about it does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Indexes {
    pub cities_by_strategy: Vec<Vec<usize>>,
    pub cases_by_strategy: Vec<Vec<usize>>,
    pub cities_by_channel: Vec<Vec<usize>>,
    pub cases_by_channel: Vec<Vec<usize>>,
    pub cities_by_public: Vec<Vec<usize>>,
    pub cases_by_public: Vec<Vec<usize>>,
    pub cities_by_epci: Vec<Vec<usize>>,
    pub cases_by_epci: Vec<Vec<usize>>,
    pub cases_by_city: Vec<Vec<usize>>,
    /// Per city, the strategies it uses (card and case studies), ascending.
    pub strategies_of_city: Vec<Vec<usize>>,
    pub channels_of_city: Vec<Vec<usize>>,
    pub publics_of_city: Vec<Vec<usize>>,
}

/// What two cities share, and the resulting score.
#[derive(Debug, Clone, PartialEq)]
pub struct CityLink {
    /// The two cities, `a < b`.
    pub a: usize,
    pub b: usize,
    pub score: f64,
    pub strategies: Vec<usize>,
    pub publics: Vec<usize>,
    pub channels: Vec<usize>,
    pub epci: Option<usize>,
    pub cases: Vec<usize>,
}

impl CityLink {
    pub fn other(&self, city: usize) -> usize {
        if self.a == city { self.b } else { self.a }
    }
}

/// A case study related to another, with what they share.
#[derive(Debug, Clone, PartialEq)]
pub struct RelatedCase {
    pub case: usize,
    pub score: f64,
    pub cities: Vec<usize>,
    pub strategies: Vec<usize>,
    pub publics: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpportunityKind {
    /// A practice documented elsewhere, for a city with the same publics.
    Transfer,
    /// A strategy used separately by cities of one intercommunality, or by neighbours.
    Pooling,
    /// A public the city names that none of its strategies addresses.
    Gap,
}

impl OpportunityKind {
    pub const ALL: [OpportunityKind; 3] = [
        OpportunityKind::Transfer,
        OpportunityKind::Pooling,
        OpportunityKind::Gap,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            OpportunityKind::Transfer => "transfert",
            OpportunityKind::Pooling => "mutualisation",
            OpportunityKind::Gap => "public-non-couvert",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OpportunityKind::Transfer => "Transfert de pratique",
            OpportunityKind::Pooling => "Mutualisation",
            OpportunityKind::Gap => "Public non couvert",
        }
    }
}

/// A computed opportunity. Which fields are set depends on the kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Opportunity {
    pub kind: OpportunityKind,
    /// Transfer and gap: the one city that could act. Pooling: the cities that could pool.
    pub cities: Vec<usize>,
    pub strategy: Option<usize>,
    /// Gap: the uncovered public.
    pub public: Option<usize>,
    /// Transfer: the case studies to read and the city of each, newest first.
    pub inspirations: Vec<(usize, usize)>,
    /// Transfer: the publics shared with the inspiring cities.
    pub shared_publics: Vec<usize>,
    /// Pooling inside an intercommunality.
    pub epci: Option<usize>,
    /// Pooling between neighbours: their distance in km.
    pub distance_km: Option<f64>,
}

/// Everything the analysis stage computes.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub indexes: Indexes,
    /// Every pair of cities with a positive score, strongest first.
    pub links: Vec<CityLink>,
    /// Per city, indexes into `links`, strongest first, at most `villes_proches`.
    pub closest: Vec<Vec<usize>>,
    /// Per case study, the related ones, strongest first, at most `cas_lies`.
    pub related: Vec<Vec<RelatedCase>>,
    /// Computed opportunities, grouped by kind, then by city and strategy names.
    pub opportunities: Vec<Opportunity>,
    pub opportunities_by_city: Vec<Vec<usize>>,
    pub opportunities_by_strategy: Vec<Vec<usize>>,
    /// Per city, its maturity on the grid of [`maturity`].
    pub maturity: Vec<Maturity>,
}

/// A level of the maturity grid, with the observed facts that justify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaturityLevel {
    pub level: u8,
    pub max: u8,
    pub label: &'static str,
    /// The observed facts behind the level, in French.
    pub evidence: Vec<String>,
}

/// A city's maturity: digital tools and each lever. `None` means « non renseigné »: no
/// observed fact in that dimension, which is not the same as level zero.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Maturity {
    pub digital: Option<MaturityLevel>,
    /// In the order of [`Lever::ALL`].
    pub levers: [Option<MaturityLevel>; 3],
}

pub fn analyse(site: &Site) -> Analysis {
    let indexes = build_indexes(site);
    // Three independent analyses: the links between cities and the opportunities are
    // sequential (each ≈ 15–25 ms at 1,000 case studies), the related case studies parallel.
    let ((links, closest), (related, opportunities)) = rayon::join(
        || {
            let links = city_links(site, &indexes);
            let closest = closest_cities(site, &links);
            (links, closest)
        },
        || {
            rayon::join(
                || related_cases(site, &indexes),
                || opportunities(site, &indexes),
            )
        },
    );
    let mut opportunities_by_city = vec![Vec::new(); site.cities.len()];
    let mut opportunities_by_strategy = vec![Vec::new(); site.strategies.len()];
    for (index, opportunity) in opportunities.iter().enumerate() {
        for &city in &opportunity.cities {
            opportunities_by_city[city].push(index);
        }
        if let Some(strategy) = opportunity.strategy {
            opportunities_by_strategy[strategy].push(index);
        }
    }
    let maturity = (0..site.cities.len())
        .map(|c| maturity(site, &indexes, c))
        .collect();
    Analysis {
        indexes,
        links,
        closest,
        related,
        opportunities,
        opportunities_by_city,
        opportunities_by_strategy,
        maturity,
    }
}

/// The maturity grid, from observed facts only (card and case studies):
///
/// Digital tools (channels of the families `site`, `reseau-social`, `service-numerique`):
/// 1. « présence »: at least one digital channel;
/// 2. « diversification »: at least two digital channels, one of them beyond the website;
/// 3. « services »: a digital service (mobile app, participation platform…);
/// 4. « pilotage par la donnée »: the strategy `mesure-data` or `open-data`, or a dated
///    audience figure on a digital channel.
///
/// Each lever (image, valeur, mobilisation), from the strategies of that lever:
/// 1. « initiée »: one strategy;
/// 2. « structurée »: two or three strategies;
/// 3. « affirmée »: four strategies or more, or two or more of which one is documented by a
///    case study of the atlas.
///
/// The level is the highest whose condition holds. No fact in a dimension: « non renseigné ».
pub fn maturity(site: &Site, ix: &Indexes, city: usize) -> Maturity {
    let card = &site.cities[city];
    let digital_channels: Vec<usize> = ix.channels_of_city[city]
        .iter()
        .copied()
        .filter(|&c| {
            site.channels[c]
                .famille
                .is_some_and(ChannelFamily::is_digital)
        })
        .collect();
    let name = |c: usize| site.channels[c].nom.clone();
    let digital = if digital_channels.is_empty() {
        None
    } else {
        let family = |f: ChannelFamily| {
            digital_channels
                .iter()
                .copied()
                .filter(move |&c| site.channels[c].famille == Some(f))
        };
        let services: Vec<usize> = family(ChannelFamily::DigitalService).collect();
        let beyond_site: Vec<usize> = digital_channels
            .iter()
            .copied()
            .filter(|&c| site.channels[c].famille != Some(ChannelFamily::Website))
            .collect();
        let data_strategies: Vec<String> = ix.strategies_of_city[city]
            .iter()
            .filter(|&&s| {
                matches!(
                    site.strategies[s].slug.as_str(),
                    "mesure-data" | "open-data"
                )
            })
            .map(|&s| format!("stratégie «\u{202f}{}\u{202f}»", site.strategies[s].nom))
            .collect();
        let audiences: Vec<String> = card
            .channels
            .iter()
            .filter(|f| {
                !f.audience.is_empty()
                    && site.channels[f.term]
                        .famille
                        .is_some_and(ChannelFamily::is_digital)
            })
            .map(|f| format!("audience mesurée\u{a0}: {}", site.channels[f.term].nom))
            .collect();
        let (level, label, evidence) = if !data_strategies.is_empty() || !audiences.is_empty() {
            (
                4,
                "pilotage par la donnée",
                data_strategies.into_iter().chain(audiences).collect(),
            )
        } else if !services.is_empty() {
            (3, "services", services.into_iter().map(name).collect())
        } else if digital_channels.len() >= 2 && !beyond_site.is_empty() {
            (
                2,
                "diversification",
                digital_channels.iter().copied().map(name).collect(),
            )
        } else {
            (
                1,
                "présence",
                digital_channels.iter().copied().map(name).collect(),
            )
        };
        Some(MaturityLevel {
            level,
            max: 4,
            label,
            evidence,
        })
    };
    let levers = Lever::ALL.map(|lever| {
        let strategies: Vec<usize> = ix.strategies_of_city[city]
            .iter()
            .copied()
            .filter(|&s| site.strategies[s].levier == lever)
            .collect();
        if strategies.is_empty() {
            return None;
        }
        let documented = strategies.iter().any(|&s| {
            ix.cases_by_city[city]
                .iter()
                .any(|&c| site.cases[c].strategies.contains(&s))
        });
        let (level, label) = match strategies.len() {
            n if n >= 4 || (n >= 2 && documented) => (3, "affirmée"),
            1 => (1, "initiée"),
            _ => (2, "structurée"),
        };
        Some(MaturityLevel {
            level,
            max: 3,
            label,
            evidence: strategies
                .iter()
                .map(|&s| site.strategies[s].nom.clone())
                .collect(),
        })
    });
    Maturity { digital, levers }
}

fn sorted_unique(mut values: Vec<usize>) -> Vec<usize> {
    values.sort_unstable();
    values.dedup();
    values
}

pub fn build_indexes(site: &Site) -> Indexes {
    let cities = site.cities.len();
    let mut strategies_of_city: Vec<Vec<usize>> = site
        .cities
        .iter()
        .map(|c| c.strategies.iter().map(|f| f.term).collect())
        .collect();
    let mut channels_of_city: Vec<Vec<usize>> = site
        .cities
        .iter()
        .map(|c| c.channels.iter().map(|f| f.term).collect())
        .collect();
    let mut publics_of_city: Vec<Vec<usize>> = site
        .cities
        .iter()
        .map(|c| c.publics.iter().map(|f| f.term).collect())
        .collect();
    let mut ix = Indexes {
        cities_by_strategy: vec![Vec::new(); site.strategies.len()],
        cases_by_strategy: vec![Vec::new(); site.strategies.len()],
        cities_by_channel: vec![Vec::new(); site.channels.len()],
        cases_by_channel: vec![Vec::new(); site.channels.len()],
        cities_by_public: vec![Vec::new(); site.publics.len()],
        cases_by_public: vec![Vec::new(); site.publics.len()],
        cities_by_epci: vec![Vec::new(); site.epcis.len()],
        cases_by_epci: vec![Vec::new(); site.epcis.len()],
        cases_by_city: vec![Vec::new(); cities],
        ..Indexes::default()
    };
    for (case_index, case) in site.cases.iter().enumerate() {
        for &strategy in &case.strategies {
            ix.cases_by_strategy[strategy].push(case_index);
        }
        for &channel in &case.channels {
            ix.cases_by_channel[channel].push(case_index);
        }
        for &public in &case.publics {
            ix.cases_by_public[public].push(case_index);
        }
        let mut epcis: Vec<usize> = Vec::new();
        for &city in &case.cities {
            ix.cases_by_city[city].push(case_index);
            strategies_of_city[city].extend_from_slice(&case.strategies);
            channels_of_city[city].extend_from_slice(&case.channels);
            publics_of_city[city].extend_from_slice(&case.publics);
            if let Some(epci) = site.cities[city].epci
                && !epcis.contains(&epci)
            {
                epcis.push(epci);
            }
        }
        for epci in epcis {
            ix.cases_by_epci[epci].push(case_index);
        }
    }
    ix.strategies_of_city = strategies_of_city.into_iter().map(sorted_unique).collect();
    ix.channels_of_city = channels_of_city.into_iter().map(sorted_unique).collect();
    ix.publics_of_city = publics_of_city.into_iter().map(sorted_unique).collect();
    for city in 0..cities {
        for &s in &ix.strategies_of_city[city] {
            ix.cities_by_strategy[s].push(city);
        }
        for &c in &ix.channels_of_city[city] {
            ix.cities_by_channel[c].push(city);
        }
        for &p in &ix.publics_of_city[city] {
            ix.cities_by_public[p].push(city);
        }
        if let Some(epci) = site.cities[city].epci {
            ix.cities_by_epci[epci].push(city);
        }
    }
    ix
}

/// Scores every pair of cities that shares something, from the posting lists.
fn city_links(site: &Site, ix: &Indexes) -> Vec<CityLink> {
    let weights = &site.config.synergies.poids;
    let mut pairs = Pairs::new(site.cities.len());
    for (strategy, cities) in ix.cities_by_strategy.iter().enumerate() {
        for (a, b) in pairs_of(cities) {
            pairs.entry(a, b).strategies.push(strategy);
        }
    }
    for (public, cities) in ix.cities_by_public.iter().enumerate() {
        for (a, b) in pairs_of(cities) {
            pairs.entry(a, b).publics.push(public);
        }
    }
    for (channel, cities) in ix.cities_by_channel.iter().enumerate() {
        for (a, b) in pairs_of(cities) {
            pairs.entry(a, b).channels.push(channel);
        }
    }
    for (epci, cities) in ix.cities_by_epci.iter().enumerate() {
        for (a, b) in pairs_of(cities) {
            pairs.entry(a, b).epci = Some(epci);
        }
    }
    for (case_index, case) in site.cases.iter().enumerate() {
        let cities = sorted_unique(case.cities.clone());
        for (a, b) in pairs_of(&cities) {
            pairs.entry(a, b).cases.push(case_index);
        }
    }
    // Sorted below on the score, then on the pair: a total order.
    let mut links: Vec<CityLink> = pairs
        .links
        .into_iter()
        .map(|mut link| {
            link.score = weights.strategies * link.strategies.len() as f64
                + weights.publics * link.publics.len() as f64
                + weights.canaux * link.channels.len() as f64
                + weights.intercommunalite * f64::from(u8::from(link.epci.is_some()))
                + weights.cas * link.cases.len() as f64;
            link
        })
        .filter(|link| link.score > 0.0)
        .collect();
    links.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    links
}

/// Every pair `(list[i], list[j])` with `i < j`.
fn pairs_of(list: &[usize]) -> impl Iterator<Item = (usize, usize)> + '_ {
    list.iter()
        .enumerate()
        .flat_map(move |(i, &a)| list[i + 1..].iter().map(move |&b| (a, b)))
}

/// The links between cities as they are found, each pair of cities with a place in a table
/// of `count × count` (a lookup in a map for each pair was most of the analysis; the table
/// is 0.2 MB for 151 cities, 6 MB for 890).
struct Pairs {
    count: usize,
    /// Where a pair's link is in `links`, `usize::MAX` when it has none yet.
    slots: Vec<usize>,
    links: Vec<CityLink>,
}

impl Pairs {
    fn new(count: usize) -> Pairs {
        Pairs {
            count,
            slots: vec![usize::MAX; count * count],
            links: Vec::new(),
        }
    }

    /// The link between cities `a` and `b`, in either order, made empty the first time.
    fn entry(&mut self, a: usize, b: usize) -> &mut CityLink {
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        let slot = &mut self.slots[a * self.count + b];
        if *slot == usize::MAX {
            *slot = self.links.len();
            self.links.push(CityLink {
                a,
                b,
                score: 0.0,
                strategies: Vec::new(),
                publics: Vec::new(),
                channels: Vec::new(),
                epci: None,
                cases: Vec::new(),
            });
        }
        &mut self.links[*slot]
    }
}

/// Adds `item` to `smallest`, sorted and without duplicates, if it is among its `limit`
/// smallest items: what sorting every item ever added, removing duplicates and keeping the
/// first `limit` would give.
fn keep_smallest<T: Ord>(smallest: &mut Vec<T>, item: T, limit: usize) {
    if let Err(position) = smallest.binary_search(&item)
        && position < limit
    {
        smallest.insert(position, item);
        smallest.truncate(limit);
    }
}

fn closest_cities(site: &Site, links: &[CityLink]) -> Vec<Vec<usize>> {
    let limit = site.config.synergies.villes_proches;
    let mut closest = vec![Vec::new(); site.cities.len()];
    // `links` is sorted strongest first, so the first `limit` links of a city are its closest.
    for (index, link) in links.iter().enumerate() {
        for city in [link.a, link.b] {
            if closest[city].len() < limit {
                closest[city].push(index);
            }
        }
    }
    closest
}

fn related_cases(site: &Site, ix: &Indexes) -> Vec<Vec<RelatedCase>> {
    use rayon::prelude::*;
    let weights = &site.config.synergies.poids_cas_lies;
    let limit = site.config.synergies.cas_lies;
    // The part of a posting list that is read: ascending, so membership is a binary search.
    fn head(list: &[usize]) -> &[usize] {
        &list[..list.len().min(POSTING_LIMIT)]
    }
    site.cases
        .par_iter()
        .with_max_len(crate::load::PARALLEL_PIECE)
        .enumerate()
        .map(|(case_index, case)| {
            // Only counts per candidate: the shared terms are listed for the few kept.
            let mut counts: HashMap<usize, [u32; 3]> = HashMap::new();
            let taxonomies: [(&[usize], &[Vec<usize>]); 3] = [
                (&case.cities, &ix.cases_by_city),
                (&case.strategies, &ix.cases_by_strategy),
                (&case.publics, &ix.cases_by_public),
            ];
            for (slot, (terms, lists)) in taxonomies.iter().enumerate() {
                for &term in terms.iter() {
                    for &other in head(&lists[term]) {
                        if other != case_index {
                            counts.entry(other).or_default()[slot] += 1;
                        }
                    }
                }
            }
            let mut scored: Vec<(f64, usize)> = counts
                .into_iter()
                .map(|(other, [cities, strategies, publics])| {
                    let score = weights.villes * f64::from(cities)
                        + weights.strategies * f64::from(strategies)
                        + weights.publics * f64::from(publics);
                    (score, other)
                })
                .filter(|(score, _)| *score > 0.0)
                .collect();
            // Ties go to the newest case study (lower index). The order is total (no two
            // candidates have the same index): the `limit` first are picked out, then sorted,
            // instead of sorting every candidate of a large atlas for a handful.
            let order =
                |x: &(f64, usize), y: &(f64, usize)| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1));
            if limit > 0 && scored.len() > limit {
                scored.select_nth_unstable_by(limit - 1, order);
            }
            scored.truncate(limit);
            scored.sort_unstable_by(order);
            let shared = |other: usize, (terms, lists): (&[usize], &[Vec<usize>])| -> Vec<usize> {
                terms
                    .iter()
                    .copied()
                    .filter(|&term| head(&lists[term]).binary_search(&other).is_ok())
                    .collect()
            };
            scored
                .into_iter()
                .map(|(score, other)| RelatedCase {
                    case: other,
                    score,
                    cities: shared(other, taxonomies[0]),
                    strategies: shared(other, taxonomies[1]),
                    publics: shared(other, taxonomies[2]),
                })
                .collect()
        })
        .collect()
}

/// Great-circle distance in km between two points given in degrees.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

fn opportunities(site: &Site, ix: &Indexes) -> Vec<Opportunity> {
    let mut out = Vec::new();
    let sort_name = |c: usize| crate::resolve::sort_key(&site.cities[c].nom);

    // (a) Transfer: for each practice documented by a case study in city A, every city B that
    // shares one of A's publics (among those the strategy addresses, when the referential says)
    // and does not use the strategy. One opportunity per (B, strategy).
    //
    // Practices are first grouped by (city, strategy), keeping the three newest case studies of
    // each: the targets of a practice are then computed once, however many case studies
    // document it, so the cost stays linear in the number of case studies.
    let mut practices: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (case_index, case) in site.cases.iter().enumerate() {
        for &city in &case.cities {
            for &strategy in &case.strategies {
                let newest = practices.entry((city, strategy)).or_default();
                if newest.len() < 3 && !newest.contains(&case_index) {
                    newest.push(case_index);
                }
            }
        }
    }
    let mut transfers: BTreeMap<(usize, usize), Opportunity> = BTreeMap::new();
    for (&(source_city, strategy), cases) in &practices {
        let addressed = &site.strategies[strategy].publics;
        // Only the publics the practice is for: a city that shares A's residents is no
        // candidate for a tourism brand.
        for &public in ix.publics_of_city[source_city]
            .iter()
            .filter(|p| addressed.is_empty() || addressed.contains(p))
        {
            for &target in &ix.cities_by_public[public] {
                if target == source_city
                    || ix.strategies_of_city[target]
                        .binary_search(&strategy)
                        .is_ok()
                {
                    continue;
                }
                let opportunity =
                    transfers
                        .entry((target, strategy))
                        .or_insert_with(|| Opportunity {
                            kind: OpportunityKind::Transfer,
                            cities: vec![target],
                            strategy: Some(strategy),
                            public: None,
                            inspirations: Vec::new(),
                            shared_publics: Vec::new(),
                            epci: None,
                            distance_km: None,
                        });
                // Only the three smallest pairs are kept in the end: kept sorted and no
                // more, a city that many others could inspire is not a list to search
                // through for each of them.
                for &case in cases {
                    keep_smallest(&mut opportunity.inspirations, (case, source_city), 3);
                }
                if !opportunity.shared_publics.contains(&public) {
                    opportunity.shared_publics.push(public);
                }
            }
        }
    }
    for mut opportunity in transfers.into_values() {
        opportunity.shared_publics.sort_unstable();
        out.push(opportunity);
    }

    // (b) Pooling: a strategy used by several cities of one intercommunality that no single case
    // study shows them doing together; and by neighbours of different intercommunalities.
    //
    // The distance between two cities, computed once (not once per strategy they share); NaN
    // when one has no coordinates. A table of cities × cities: 0.2 MB for Vaucluse's 151
    // communes, 6 MB for the 890 of the largest department.
    let count = site.cities.len();
    let mut distances = vec![f64::NAN; count * count];
    for (a, ca) in site.cities.iter().enumerate() {
        for (b, cb) in site.cities.iter().enumerate() {
            if let (Some(pa), Some(pb)) = (ca.coordonnees, cb.coordonnees) {
                distances[a * count + b] = distance_km((pa.lat, pa.lon), (pb.lat, pb.lon));
            }
        }
    }
    for (strategy, cities) in ix.cities_by_strategy.iter().enumerate() {
        // Whether one case study shows the whole group using this strategy together: only the
        // case studies of the group's first city need looking at (few, whatever the atlas size).
        let together = |group: &[usize]| {
            ix.cases_by_city[group[0]].iter().any(|&c| {
                let case = &site.cases[c];
                case.strategies.contains(&strategy)
                    && group.iter().all(|city| case.cities.contains(city))
            })
        };
        let mut by_epci: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &city in cities {
            if let Some(epci) = site.cities[city].epci {
                by_epci.entry(epci).or_default().push(city);
            }
        }
        for (epci, group) in by_epci {
            if group.len() >= 2 && !together(&group) {
                let mut group = group;
                group.sort_by_cached_key(|&c| (sort_name(c), c));
                out.push(Opportunity {
                    kind: OpportunityKind::Pooling,
                    cities: group,
                    strategy: Some(strategy),
                    public: None,
                    inspirations: Vec::new(),
                    shared_publics: Vec::new(),
                    epci: Some(epci),
                    distance_km: None,
                });
            }
        }
        let threshold = site.config.synergies.distance_voisinage_km;
        for (i, &a) in cities.iter().enumerate() {
            for &b in &cities[i + 1..] {
                let (ca, cb) = (&site.cities[a], &site.cities[b]);
                if ca.epci.is_some() && ca.epci == cb.epci {
                    continue;
                }
                let distance = distances[a * count + b];
                // No coordinates: NaN, never within the threshold.
                if distance <= threshold && !together(&[a, b]) {
                    let mut pair = vec![a, b];
                    pair.sort_by_cached_key(|&c| (sort_name(c), c));
                    out.push(Opportunity {
                        kind: OpportunityKind::Pooling,
                        cities: pair,
                        strategy: Some(strategy),
                        public: None,
                        inspirations: Vec::new(),
                        shared_publics: Vec::new(),
                        epci: None,
                        distance_km: Some((distance * 10.0).round() / 10.0),
                    });
                }
            }
        }
    }

    // (c) Gap: a public named on a city's card that none of the card's strategies addresses.
    // Only meaningful when the referential says which publics strategies address.
    if site.strategies.iter().any(|s| !s.publics.is_empty()) {
        for (city_index, city) in site.cities.iter().enumerate() {
            for fact in &city.publics {
                let covered = city
                    .strategies
                    .iter()
                    .any(|s| site.strategies[s.term].publics.contains(&fact.term));
                if !covered {
                    out.push(Opportunity {
                        kind: OpportunityKind::Gap,
                        cities: vec![city_index],
                        strategy: None,
                        public: Some(fact.term),
                        inspirations: Vec::new(),
                        shared_publics: Vec::new(),
                        epci: None,
                        distance_km: None,
                    });
                }
            }
        }
    }

    out.sort_by_cached_key(|o| {
        (
            o.kind,
            o.cities.iter().map(|&c| sort_name(c)).collect::<Vec<_>>(),
            o.strategy,
            o.public,
        )
    });
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Coordinates, Lever, SynergyConfig};
    use crate::resolve::{Case, City, Config, Epci, Strategy, Term, TermFact};
    use std::sync::Arc;

    /// The inspirations kept as they come equal all of them sorted, deduplicated and cut.
    #[test]
    fn the_smallest_items_kept_as_they_come_are_those_of_the_whole_list() {
        let mut state: u64 = 2026;
        for length in 0..60 {
            let items: Vec<(usize, usize)> = (0..length)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (((state >> 33) % 7) as usize, ((state >> 50) % 3) as usize)
                })
                .collect();
            let mut kept = Vec::new();
            for &item in &items {
                keep_smallest(&mut kept, item, 3);
            }
            let mut expected = items.clone();
            expected.sort_unstable();
            expected.dedup();
            expected.truncate(3);
            assert_eq!(kept, expected, "{items:?}");
        }
    }

    pub fn fact(term: usize) -> TermFact {
        TermFact {
            term,
            detail: None,
            url: None,
            audience: Vec::new(),
            sources: Vec::new(),
        }
    }

    pub fn city(
        slug: &str,
        epci: Option<usize>,
        strategies: &[usize],
        publics: &[usize],
        coords: Option<(f64, f64)>,
    ) -> City {
        City {
            slug: slug.to_string(),
            nom: slug.to_uppercase(),
            insee: "84000".to_string(),
            population: None,
            population_annee: None,
            epci,
            coordonnees: coords.map(|(lat, lon)| Coordinates { lat, lon }),
            site_web: None,
            complete: true,
            identity_sources: Vec::new(),
            brands: Vec::new(),
            publics: publics.iter().map(|&p| fact(p)).collect(),
            strategies: strategies.iter().map(|&s| fact(s)).collect(),
            channels: Vec::new(),
            labels: Vec::new(),
            events: Vec::new(),
            sources: Vec::new(),
            file: String::new(),
        }
    }

    pub fn case(slug: &str, cities: &[usize], strategies: &[usize], publics: &[usize]) -> Case {
        Case {
            slug: slug.to_string(),
            titre: slug.to_string(),
            resume: String::new(),
            cities: cities.to_vec(),
            strategies: strategies.to_vec(),
            channels: Vec::new(),
            publics: publics.to_vec(),
            date: "2020-01-01".to_string(),
            draft: false,
            sources: Vec::new(),
            body: "".into(),
            body_line: 1,
            file: String::new(),
            text: Arc::from(""),
        }
    }

    /// Strategy `i` addresses the publics in `strategy_publics[i]`.
    pub fn site(
        cities: Vec<City>,
        cases: Vec<Case>,
        strategy_publics: &[&[usize]],
        publics: usize,
        epcis: usize,
    ) -> Site {
        Site {
            config: Config {
                titre: "t".into(),
                description: "d".into(),
                base_url: "https://ex.org/".into(),
                base_path: "/".into(),
                langue: "fr".into(),
                theme: "default".into(),
                minifier: false,
                recherche: true,
                editeur: None,
                introduction: None,
                synergies: SynergyConfig::default(),
                carte: Default::default(),
                html_brut: Default::default(),
            },
            cities,
            cases,
            opportunities: Vec::new(),
            actors: Vec::new(),
            strategies: strategy_publics
                .iter()
                .enumerate()
                .map(|(i, p)| Strategy {
                    slug: format!("s{i}"),
                    nom: format!("S{i}"),
                    levier: Lever::Image,
                    definition: String::new(),
                    publics: p.to_vec(),
                    sources: Vec::new(),
                })
                .collect(),
            channels: Vec::<Term>::new(),
            publics: (0..publics)
                .map(|i| Term {
                    slug: format!("p{i}"),
                    nom: format!("P{i}"),
                    definition: String::new(),
                    famille: None,
                    sources: Vec::new(),
                })
                .collect(),
            epcis: (0..epcis)
                .map(|i| Epci {
                    slug: format!("e{i}"),
                    code: String::new(),
                    nom: format!("E{i}"),
                    nature: None,
                    membres: Vec::new(),
                    sources: Vec::new(),
                })
                .collect(),
        }
    }

    /// Four cities: A and B in intercommunality e0 with D (no data), C alone 8 km east of A.
    /// Case study x is about A and B (s2, p0); y about C (s0, p0 and p1).
    fn model() -> Site {
        site(
            vec![
                city("a", Some(0), &[0, 1], &[0], Some((44.0, 5.0))),
                city("b", Some(0), &[1], &[0, 1], Some((44.05, 5.0))),
                city("c", None, &[1], &[1], Some((44.0, 5.1))),
                city("d", Some(0), &[], &[], None),
            ],
            vec![
                case("x", &[0, 1], &[2], &[0]),
                case("y", &[2], &[0], &[0, 1]),
            ],
            &[&[0], &[1], &[]],
            2,
            1,
        )
    }

    #[test]
    fn indexes_merge_cards_and_case_studies() {
        let ix = build_indexes(&model());
        assert_eq!(
            ix.strategies_of_city,
            vec![vec![0, 1, 2], vec![1, 2], vec![0, 1], vec![]]
        );
        assert_eq!(
            ix.publics_of_city,
            vec![vec![0], vec![0, 1], vec![0, 1], vec![]]
        );
        assert_eq!(
            ix.cities_by_strategy,
            vec![vec![0, 2], vec![0, 1, 2], vec![0, 1]]
        );
        assert_eq!(ix.cases_by_strategy, vec![vec![1], vec![], vec![0]]);
        assert_eq!(ix.cities_by_epci, vec![vec![0, 1, 3]]);
        assert_eq!(ix.cases_by_epci, vec![vec![0]]);
        assert_eq!(ix.cases_by_city, vec![vec![0], vec![0], vec![1], vec![]]);
    }

    #[test]
    fn city_links_are_weighted_sums_with_their_reasons() {
        let analysis = analyse(&model());
        let summary: Vec<(usize, usize, f64)> =
            analysis.links.iter().map(|l| (l.a, l.b, l.score)).collect();
        // A–B: 2 strategies ×3 + 1 public ×1 + same EPCI 2 + 1 case study ×4 = 13.
        // A–C: 2 strategies ×3 + 1 public = 7. B–C: 1 strategy ×3 + 2 publics = 5.
        // A–D and B–D: same EPCI only = 2.
        assert_eq!(
            summary,
            vec![
                (0, 1, 13.0),
                (0, 2, 7.0),
                (1, 2, 5.0),
                (0, 3, 2.0),
                (1, 3, 2.0)
            ]
        );
        let ab = &analysis.links[0];
        assert_eq!(ab.strategies, vec![1, 2]);
        assert_eq!(ab.publics, vec![0]);
        assert_eq!(ab.epci, Some(0));
        assert_eq!(ab.cases, vec![0]);
        assert_eq!(
            analysis.closest,
            vec![vec![0, 1, 3], vec![0, 2, 4], vec![1, 2], vec![3, 4]]
        );
    }

    #[test]
    fn closest_cities_respect_the_configured_count() {
        let mut s = model();
        s.config.synergies.villes_proches = 1;
        let analysis = analyse(&s);
        assert_eq!(analysis.closest, vec![vec![0], vec![0], vec![1], vec![3]]);
    }

    #[test]
    fn related_case_studies_share_cities_strategies_or_publics() {
        let analysis = analyse(&model());
        assert_eq!(
            analysis.related[0],
            vec![RelatedCase {
                case: 1,
                score: 1.0,
                cities: vec![],
                strategies: vec![],
                publics: vec![0]
            }]
        );
        assert_eq!(analysis.related[1][0].case, 0);
    }

    /// The related case studies of a site whose posting lists are longer than
    /// [`POSTING_LIMIT`], against a plain reading of the rule: the candidates found in the
    /// first [`POSTING_LIMIT`] entries of each list, scored by what they share there, the
    /// strongest kept (ties: newest). Each list holds only what it keeps (no capacity left
    /// over: 10,000 case studies once held ≈650 MB of it).
    #[test]
    fn related_case_studies_follow_the_rule_within_the_posting_list_heads() {
        let cities = (0..6)
            .map(|i| city(&format!("c{i}"), None, &[], &[], None))
            .collect();
        let cases: Vec<Case> = (0..400)
            .map(|i| {
                // Two different cities and strategies (content has no repeated term).
                case(
                    &format!("k{i}"),
                    &[i % 6, (i % 6 + 1 + (i / 6) % 5) % 6],
                    &[i % 5, (i % 5 + 1 + (i / 5) % 4) % 5],
                    &[i % 3],
                )
            })
            .collect();
        let s = site(cities, cases, &[&[], &[], &[], &[], &[]], 3, 0);
        let analysis = analyse(&s);
        let ix = &analysis.indexes;
        let weights = &s.config.synergies.poids_cas_lies;
        let head = |list: &Vec<usize>| list.iter().take(POSTING_LIMIT).copied().collect::<Vec<_>>();
        for (index, case) in s.cases.iter().enumerate() {
            let mut expected: Vec<RelatedCase> = (0..s.cases.len())
                .filter(|&other| other != index)
                .map(|other| {
                    let shared = |terms: &[usize], lists: &[Vec<usize>]| -> Vec<usize> {
                        terms
                            .iter()
                            .copied()
                            .filter(|&t| head(&lists[t]).contains(&other))
                            .collect()
                    };
                    let cities = shared(&case.cities, &ix.cases_by_city);
                    let strategies = shared(&case.strategies, &ix.cases_by_strategy);
                    let publics = shared(&case.publics, &ix.cases_by_public);
                    RelatedCase {
                        case: other,
                        score: weights.villes * cities.len() as f64
                            + weights.strategies * strategies.len() as f64
                            + weights.publics * publics.len() as f64,
                        cities,
                        strategies,
                        publics,
                    }
                })
                .filter(|r| r.score > 0.0)
                .collect();
            expected.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.case.cmp(&y.case)));
            expected.truncate(s.config.synergies.cas_lies);
            assert_eq!(analysis.related[index], expected, "case {index}");
            assert!(analysis.related[index].capacity() <= s.config.synergies.cas_lies);
        }
        assert!(ix.cases_by_city.iter().any(|l| l.len() > POSTING_LIMIT));
    }

    /// kind, cities, strategy, public, inspirations, shared publics, EPCI, distance.
    type OpportunityRow = (
        OpportunityKind,
        Vec<usize>,
        Option<usize>,
        Option<usize>,
        Vec<(usize, usize)>,
        Vec<usize>,
        Option<usize>,
        Option<f64>,
    );

    #[test]
    fn opportunities_transfer_pool_and_gap() {
        let analysis = analyse(&model());
        let ac = (distance_km((44.0, 5.0), (44.0, 5.1)) * 10.0).round() / 10.0;
        let bc = (distance_km((44.05, 5.0), (44.0, 5.1)) * 10.0).round() / 10.0;
        assert_eq!(ac, 8.0);
        assert_eq!(bc, 9.7);
        let got: Vec<OpportunityRow> = analysis
            .opportunities
            .iter()
            .map(|o| {
                (
                    o.kind,
                    o.cities.clone(),
                    o.strategy,
                    o.public,
                    o.inspirations.clone(),
                    o.shared_publics.clone(),
                    o.epci,
                    o.distance_km,
                )
            })
            .collect();
        use OpportunityKind::*;
        assert_eq!(
            got,
            vec![
                // B could take s0 from case y (C), sharing p0, the public s0 addresses.
                (
                    Transfer,
                    vec![1],
                    Some(0),
                    None,
                    vec![(1, 2)],
                    vec![0],
                    None,
                    None
                ),
                // C could take s2 from case x (A and B).
                (
                    Transfer,
                    vec![2],
                    Some(2),
                    None,
                    vec![(0, 0), (0, 1)],
                    vec![0, 1],
                    None,
                    None
                ),
                // A and B both use s1 in e0, separately.
                (
                    Pooling,
                    vec![0, 1],
                    Some(1),
                    None,
                    vec![],
                    vec![],
                    Some(0),
                    None
                ),
                // Neighbours of different intercommunalities.
                (
                    Pooling,
                    vec![0, 2],
                    Some(0),
                    None,
                    vec![],
                    vec![],
                    None,
                    Some(8.0)
                ),
                (
                    Pooling,
                    vec![0, 2],
                    Some(1),
                    None,
                    vec![],
                    vec![],
                    None,
                    Some(8.0)
                ),
                (
                    Pooling,
                    vec![1, 2],
                    Some(1),
                    None,
                    vec![],
                    vec![],
                    None,
                    Some(9.7)
                ),
                // B names p0 but its card's only strategy, s1, addresses p1.
                (Gap, vec![1], None, Some(0), vec![], vec![], None, None),
            ]
        );
        assert_eq!(analysis.opportunities_by_city[3], Vec::<usize>::new());
        assert_eq!(analysis.opportunities_by_strategy[2], vec![1]);
    }

    #[test]
    fn a_strategy_already_shared_in_a_case_study_is_not_a_pooling_opportunity() {
        let analysis = analyse(&model());
        assert!(
            !analysis
                .opportunities
                .iter()
                .any(|o| o.kind == OpportunityKind::Pooling && o.strategy == Some(2))
        );
    }

    #[test]
    fn the_analysis_is_deterministic() {
        let first = analyse(&model());
        let second = analyse(&model());
        assert_eq!(first.links, second.links);
        assert_eq!(first.opportunities, second.opportunities);
        assert_eq!(first.related, second.related);
    }

    #[test]
    fn maturity_levels_follow_the_grid() {
        use crate::model::ChannelFamily::*;
        let mut s = model();
        s.channels = [
            ("site-web", Website),
            ("facebook", SocialNetwork),
            ("appli", DigitalService),
            ("magazine", Print),
        ]
        .iter()
        .map(|(slug, f)| Term {
            slug: slug.to_string(),
            nom: slug.to_string(),
            definition: String::new(),
            famille: Some(*f),
            sources: vec![],
        })
        .collect();
        s.strategies[1].levier = Lever::Valeur;
        // A: website only. B: website + facebook. C: magazine only (not digital). D: nothing.
        s.cities[0].channels = vec![fact(0)];
        s.cities[1].channels = vec![fact(0), fact(1)];
        s.cities[2].channels = vec![fact(3)];
        let a = analyse(&s);
        let digital: Vec<Option<u8>> = a
            .maturity
            .iter()
            .map(|m| m.digital.as_ref().map(|l| l.level))
            .collect();
        assert_eq!(digital, vec![Some(1), Some(2), None, None]);
        assert_eq!(
            a.maturity[1].digital.as_ref().unwrap().label,
            "diversification"
        );
        s.cities[0].channels.push(fact(2));
        let a = analyse(&s);
        assert_eq!(
            a.maturity[0].digital.as_ref().map(|l| (l.level, l.label)),
            Some((3, "services"))
        );
        s.cities[0].channels[0]
            .audience
            .push(crate::resolve::Audience {
                valeur: 10.0,
                unite: "abonnés".into(),
                date: "2024".into(),
            });
        let a = analyse(&s);
        assert_eq!(a.maturity[0].digital.as_ref().map(|l| l.level), Some(4));
        // Levers: A uses s0, s2 (image) and s1 (valeur); s2 is documented by case x.
        let levels: Vec<Option<u8>> = a.maturity[0]
            .levers
            .iter()
            .map(|l| l.as_ref().map(|l| l.level))
            .collect();
        assert_eq!(levels, vec![Some(3), Some(1), None]);
        // D has no observed fact at all: « non renseigné » everywhere, not zero.
        assert_eq!(a.maturity[3], Maturity::default());
    }
}

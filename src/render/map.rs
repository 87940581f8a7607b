//! The maps: `/carte/` (communes coloured by intercommunality), `/carte/maturite/` (digital
//! maturity) and `/carte/strategies/<slug>/` (one per strategy), and the small map of each
//! city and intercommunality page. All are SVG drawn at build time in Lambert-93, from the
//! commune outlines of `carte.contours` when `atlas.yaml` names them, else as a schematic map
//! (Voronoi cells around the commune centres, clipped to their convex hull).
//!
//! Every commune of the big maps is a link with an SVG `<title>` tooltip; the principal
//! cities (complete cards) are labelled; each map has a legend and, right after it, the same
//! information as a table. Colours are presentation attributes or classes (the pages' CSP
//! forbids `style` attributes).

use std::collections::HashMap;
use std::fmt::Write;

use super::values::context::{IntoContext, Value, set};

use super::{Ctx, Page};
use crate::geo::{self, Cell, Lambert, Point};
use crate::markdown::typography;
use crate::model::Lever;

/// Width of the map's viewBox, in SVG units; the height follows the department's shape.
const WIDTH: f64 = 1000.0;
const PAD: f64 = 12.0;
/// Label font sizes (SVG units): wide screens, and narrow ones (≈ 11 px at 360 px).
const FONT_WIDE: f64 = 22.0;
const FONT_NARROW: f64 = 34.0;

/// The schematic map's notice, shown under each schematic map.
pub const SCHEMATIC_NOTICE: &str = "Carte schématique : cellules de Voronoï autour des centres des communes, pas leurs limites réelles.";

/// Categorical colours of the intercommunalities (ColorBrewer Set3 and Pastel shades: light
/// enough for black labels, distinct from each other).
const PALETTE: [&str; 16] = [
    "#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69", "#fccde5", "#ffed6f",
    "#bc80bd", "#ccebc5", "#e5c494", "#66c2a5", "#e78ac3", "#a6cee3", "#cab2d6", "#ffff99",
];
/// Digital maturity, levels 1 to 4 (light to dark).
pub(super) const MATURITY_COLOURS: [&str; 4] = ["#e3d9f2", "#b9a3de", "#8a6bc6", "#55339a"];
/// Level names of the digital grid (see `analyse::maturity`).
pub(super) const DIGITAL_LEVELS: [&str; 4] = [
    "présence",
    "diversification",
    "services",
    "pilotage par la donnée",
];
/// A strategy used, by lever; and a complete card where it is not documented.
fn lever_colour(lever: Lever) -> &'static str {
    match lever {
        Lever::Image => "#7b5cc4",
        Lever::Valeur => "#d9822b",
        Lever::Mobilisation => "#7f9e3a",
    }
}
const NOT_DOCUMENTED: &str = "#f1ecf8";
/// « Non renseigné »: hatched, so that it never reads as a low value.
const HATCHED: &str = "url(#carte-hachures)";

/// « d’Avignon », « du Pontet », « des Taillades », « de Carpentras », « de la CA du Grand
/// Avignon (COGA) »: the name after « de », with French elision and contraction.
pub(super) fn of(name: &str) -> String {
    let lower = name.to_lowercase();
    if let Some(rest) = lower.strip_prefix("le ").map(|_| &name[3..]) {
        return format!("du {rest}");
    }
    if let Some(rest) = lower.strip_prefix("les ").map(|_| &name[4..]) {
        return format!("des {rest}");
    }
    if ["ca ", "cc ", "cu ", "métropole", "communauté"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return format!("de la {name}");
    }
    match lower.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'é' | 'è' | 'ê' | 'î' | 'ô' | 'â') => {
            format!("d’{name}")
        }
        _ => format!("de {name}"),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A coordinate in SVG units, rounded to the unit (≈ 90 m on a department).
fn num(value: f64) -> String {
    let rounded = value.round();
    if rounded == 0.0 {
        "0".to_string()
    } else {
        format!("{rounded:.0}")
    }
}

/// `M x y L x y x y … Z` for each ring, consecutive duplicates removed once rounded.
fn ring_path(out: &mut String, ring: &[Point]) {
    let mut previous: Option<(String, String)> = None;
    let mut count = 0;
    let start = out.len();
    for &(x, y) in ring {
        let point = (num(x), num(y));
        if previous.as_ref() == Some(&point) {
            continue;
        }
        match count {
            0 => out.push('M'),
            1 => out.push('L'),
            _ => out.push(' '),
        }
        let _ = write!(out, "{} {}", point.0, point.1);
        previous = Some(point);
        count += 1;
    }
    if count < 3 {
        out.truncate(start);
    } else {
        out.push('Z');
    }
}

/// The department, drawn once for every map of the site.
pub(super) struct MapGeometry {
    pub width: f64,
    pub height: f64,
    /// Per city: its centre in SVG units (its coordinates, or the centroid of its outline).
    pub points: Vec<Option<Point>>,
    /// Per city: path data of its area (Voronoi cell or outline); empty when it has none.
    pub areas: Vec<String>,
    /// The same, simplified further for the small maps (shown about 350 px wide): with
    /// outlines, every small map draws the whole department.
    pub small_areas: Vec<String>,
    /// No outlines file: the areas are Voronoi cells.
    pub schematic: bool,
    /// The outer boundary of the schematic map (empty with outlines).
    pub boundary: String,
    /// Boundaries between communes of different intercommunalities (schematic map only).
    pub epci_borders: String,
    /// Where the outlines come from, when they do.
    pub outlines_file: Option<String>,
}

impl MapGeometry {
    pub fn new(ctx: &Ctx) -> MapGeometry {
        let site = ctx.site;
        let lambert = Lambert::lambert93();
        let outlines = site.config.carte.outlines.as_deref();
        let mut projected: Vec<Option<Point>> = site
            .cities
            .iter()
            .map(|c| c.coordonnees.map(|p| lambert.project(p.lat, p.lon)))
            .collect();
        // Outlines, in Lambert-93: per city, polygons of rings.
        let shapes: Vec<Vec<Vec<Vec<Point>>>> = site
            .cities
            .iter()
            .map(|c| {
                outlines
                    .and_then(|o| o.communes.get(&c.insee))
                    .map(|polygons| {
                        polygons
                            .iter()
                            .map(|rings| {
                                rings
                                    .iter()
                                    .map(|ring| {
                                        ring.iter()
                                            .map(|&(lon, lat)| lambert.project(lat, lon))
                                            .collect()
                                    })
                                    .collect()
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        // A commune drawn without coordinates gets the centroid of its largest polygon.
        for (city, polygons) in shapes.iter().enumerate() {
            if projected[city].is_none()
                && let Some(outer) =
                    polygons
                        .iter()
                        .filter_map(|rings| rings.first())
                        .max_by(|a, b| {
                            geo::area_centroid(a)
                                .0
                                .abs()
                                .total_cmp(&geo::area_centroid(b).0.abs())
                        })
            {
                projected[city] = Some(geo::area_centroid(outer).1);
            }
        }
        let schematic = outlines.is_none();
        let placed: Vec<usize> = (0..site.cities.len())
            .filter(|&c| projected[c].is_some())
            .collect();
        let sites: Vec<Point> = placed.iter().filter_map(|&c| projected[c]).collect();
        let hull = if schematic && !sites.is_empty() {
            geo::buffered_hull(&sites, hull_margin(&sites))
        } else {
            Vec::new()
        };

        // Fit everything drawn into the viewBox, north up.
        let all = sites
            .iter()
            .chain(hull.iter())
            .chain(shapes.iter().flatten().flatten().flatten());
        let (mut min_x, mut min_y, mut max_x, mut max_y) = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for &(x, y) in all {
            min_x = min_x.min(x);
            min_y = min_y.min(y);
            max_x = max_x.max(x);
            max_y = max_y.max(y);
        }
        if !min_x.is_finite() {
            (min_x, min_y, max_x, max_y) = (0.0, 0.0, 1.0, 1.0);
        }
        let (dx, dy) = ((max_x - min_x).max(1.0), (max_y - min_y).max(1.0));
        let scale = ((WIDTH - 2.0 * PAD) / dx).min((1.4 * WIDTH - 2.0 * PAD) / dy);
        let offset_x = (WIDTH - dx * scale) / 2.0;
        let height = (dy * scale + 2.0 * PAD).round();
        let to_svg = |(x, y): Point| -> Point {
            (offset_x + (x - min_x) * scale, PAD + (max_y - y) * scale)
        };

        let points: Vec<Option<Point>> = projected.iter().map(|p| p.map(to_svg)).collect();
        let mut areas = vec![String::new(); site.cities.len()];
        let mut small_areas = vec![String::new(); site.cities.len()];
        let mut boundary = String::new();
        let mut epci_borders = String::new();
        if schematic {
            let svg_sites: Vec<Point> = sites.iter().map(|&p| to_svg(p)).collect();
            // The y axis is flipped: walk the hull the other way to keep it counter-clockwise.
            let mut region: Vec<Point> = hull.iter().map(|&p| to_svg(p)).collect();
            region.reverse();
            let cells: Vec<Cell> = geo::voronoi_cells(&svg_sites, &region);
            for (k, cell) in cells.iter().enumerate() {
                ring_path(&mut areas[placed[k]], &cell.polygon);
                let epci = site.cities[placed[k]].epci;
                let n = cell.polygon.len();
                for (e, neighbour) in cell.neighbours.iter().enumerate() {
                    if let Some(other) = *neighbour
                        && other > k
                        && site.cities[placed[other]].epci != epci
                    {
                        let (a, b) = (cell.polygon[e], cell.polygon[(e + 1) % n]);
                        let _ = write!(
                            epci_borders,
                            "M{} {}L{} {}",
                            num(a.0),
                            num(a.1),
                            num(b.0),
                            num(b.1)
                        );
                    }
                }
            }
            ring_path(&mut boundary, &region);
        } else {
            for (city, polygons) in shapes.iter().enumerate() {
                for rings in polygons {
                    for ring in rings {
                        let svg: Vec<Point> = ring.iter().map(|&p| to_svg(p)).collect();
                        ring_path(&mut areas[city], &geo::simplify(&svg, 0.8));
                        ring_path(&mut small_areas[city], &geo::simplify(&svg, 3.0));
                    }
                }
            }
        }
        MapGeometry {
            width: WIDTH,
            height,
            points,
            small_areas: if schematic {
                areas.clone()
            } else {
                small_areas
            },
            areas,
            schematic,
            boundary,
            epci_borders,
            outlines_file: outlines.map(|o| o.file.clone()),
        }
    }
}

/// How far the schematic map extends beyond the outermost centres: 60 % of the median
/// distance between a centre and its nearest neighbour (about half a commune), 2 km for a
/// single commune.
fn hull_margin(sites: &[Point]) -> f64 {
    if sites.len() < 2 {
        return 2000.0;
    }
    let mut nearest: Vec<f64> = sites
        .iter()
        .enumerate()
        .map(|(i, a)| {
            sites
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, b)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt())
                .fold(f64::INFINITY, f64::min)
        })
        .filter(|d| *d > 1.0)
        .collect();
    if nearest.is_empty() {
        return 2000.0;
    }
    nearest.sort_by(f64::total_cmp);
    (0.6 * nearest[nearest.len() / 2]).max(500.0)
}

/// One category of a map: legend entry and fill.
struct Category {
    name: String,
    fill: &'static str,
}

/// What a map shows: a category per city (`None`: not drawn in any category).
struct Thematic {
    id: String,
    title: String,
    /// Header of the category column of the text alternative.
    column: String,
    categories: Vec<Category>,
    of_city: Vec<usize>,
    /// Tooltip detail per city.
    detail: Vec<String>,
}

impl Ctx<'_> {
    /// The geometry of the maps and the map pages (one per theme), built in parallel: a pure
    /// function of the site, so it runs beside the other groups of pages.
    pub(super) fn map_pages(&self) -> (MapGeometry, Vec<Page<'static>>) {
        use rayon::prelude::*;
        let geometry = MapGeometry::new(self);
        let mut thematics = vec![self.epci_thematic(), self.maturity_thematic()];
        thematics.par_extend(
            (0..self.site.strategies.len())
                .into_par_iter()
                .map(|strategy| self.strategy_thematic(strategy)),
        );
        let menu = self.map_menu();
        let pages = thematics
            .par_iter()
            .map(|thematic| self.map_page(&geometry, thematic, &menu))
            .collect();
        (geometry, pages)
    }

    /// Adds its small map to each city and intercommunality page.
    pub(super) fn add_small_maps(&self, geometry: &MapGeometry, pages: &mut [Page]) {
        let city_pages: HashMap<String, usize> = self
            .site
            .cities
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("villes/{}/", c.slug), i))
            .collect();
        let epci_pages: HashMap<String, usize> = self
            .site
            .epcis
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("intercommunalites/{}/", e.slug), i))
            .collect();
        use rayon::prelude::*;
        pages.par_iter_mut().for_each(|page| {
            let small = match page.template {
                "ville.html" => city_pages
                    .get(&page.url)
                    .and_then(|&c| self.small_map(geometry, Some(c), self.site.cities[c].epci)),
                "intercommunalite.html" => epci_pages
                    .get(&page.url)
                    .and_then(|&e| self.small_map(geometry, None, Some(e))),
                _ => return,
            };
            // A context built later is none until then: the map is merged into it then.
            if page.context.is_map() || page.context.is_none() {
                set(&mut page.context, [("petite_carte", small.into_context())]);
            }
        });
    }

    fn epci_thematic(&self) -> Thematic {
        let site = self.site;
        let mut categories: Vec<Category> = site
            .epcis
            .iter()
            .enumerate()
            .map(|(i, e)| Category {
                name: typography(&e.nom),
                fill: PALETTE[i % PALETTE.len()],
            })
            .collect();
        let without = categories.len();
        categories.push(Category {
            name: "Sans intercommunalité renseignée".to_string(),
            fill: HATCHED,
        });
        let of_city: Vec<usize> = site
            .cities
            .iter()
            .map(|c| c.epci.unwrap_or(without))
            .collect();
        let detail = of_city
            .iter()
            .map(|&k| categories[k].name.clone())
            .collect();
        Thematic {
            id: "intercommunalites".to_string(),
            title: "Les communes par intercommunalité".to_string(),
            column: "Intercommunalité".to_string(),
            categories,
            of_city,
            detail,
        }
    }

    fn maturity_thematic(&self) -> Thematic {
        let mut categories: Vec<Category> = DIGITAL_LEVELS
            .iter()
            .enumerate()
            .map(|(i, name)| Category {
                name: format!("{}/4\u{a0}: {name}", i + 1),
                fill: MATURITY_COLOURS[i],
            })
            .collect();
        categories.push(Category {
            name: "Non renseigné".to_string(),
            fill: HATCHED,
        });
        let of_city: Vec<usize> = self
            .an
            .maturity
            .iter()
            .map(|m| {
                m.digital
                    .as_ref()
                    .map_or(4, |l| usize::from(l.level.clamp(1, 4)) - 1)
            })
            .collect();
        let detail = of_city
            .iter()
            .map(|&k| format!("maturité numérique {}", categories[k].name.to_lowercase()))
            .collect();
        Thematic {
            id: "maturite".to_string(),
            title: "Maturité numérique des communes".to_string(),
            column: "Maturité numérique".to_string(),
            categories,
            of_city,
            detail,
        }
    }

    fn strategy_thematic(&self, strategy: usize) -> Thematic {
        let site = self.site;
        let s = &site.strategies[strategy];
        let categories = vec![
            Category {
                name: "Stratégie documentée".to_string(),
                fill: lever_colour(s.levier),
            },
            Category {
                name: "Fiche complète, stratégie non documentée".to_string(),
                fill: NOT_DOCUMENTED,
            },
            Category {
                name: "Fiche à compléter\u{a0}: non renseigné".to_string(),
                fill: HATCHED,
            },
        ];
        let users = &self.ix.cities_by_strategy[strategy];
        let of_city: Vec<usize> = site
            .cities
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if users.binary_search(&i).is_ok() {
                    0
                } else if c.complete {
                    1
                } else {
                    2
                }
            })
            .collect();
        let detail = of_city
            .iter()
            .map(|&k| categories[k].name.to_lowercase())
            .collect();
        Thematic {
            id: format!("strategies/{}", s.slug),
            title: typography(&format!("Stratégie «\u{202f}{}\u{202f}»", s.nom)),
            column: typography(&format!("Stratégie «\u{202f}{}\u{202f}»", s.nom)),
            categories,
            of_city,
            detail,
        }
    }

    /// Links to every map, the strategies grouped by lever.
    fn map_menu(&self) -> Value {
        let site = self.site;
        let levers: Vec<Value> = Lever::ALL
            .iter()
            .map(|&lever| {
                object!({
                    "nom": format!("Levier {}", lever.label().to_lowercase()),
                    "cartes": (0..site.strategies.len())
                        .filter(|&s| site.strategies[s].levier == lever)
                        .map(|s| object!({
                            "nom": typography(&site.strategies[s].nom),
                            "id": format!("strategies/{}", site.strategies[s].slug),
                            "url": self.url(&format!("carte/strategies/{}/", site.strategies[s].slug)),
                            "nb_villes": self.ix.cities_by_strategy[s].len(),
                        }))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        object!({
            "principales": [
                {"nom": "Intercommunalités", "id": "intercommunalites", "url": self.url("carte/")},
                {"nom": "Maturité numérique", "id": "maturite", "url": self.url("carte/maturite/")},
            ],
            "leviers": levers,
        })
    }

    fn map_page(&self, geometry: &MapGeometry, thematic: &Thematic, menu: &Value) -> Page<'static> {
        let site = self.site;
        let url = match thematic.id.as_str() {
            "intercommunalites" => "carte/".to_string(),
            id => format!("carte/{id}/"),
        };
        let svg = self.map_svg(geometry, thematic);
        let mut counts = vec![0usize; thematic.categories.len()];
        let mut rows: Vec<(usize, String, usize)> = Vec::new();
        let mut unplaced = Vec::new();
        for (c, city) in site.cities.iter().enumerate() {
            if geometry.points[c].is_some() || !geometry.areas[c].is_empty() {
                counts[thematic.of_city[c]] += 1;
                rows.push((thematic.of_city[c], crate::resolve::sort_key(&city.nom), c));
            } else {
                unplaced.push(c);
            }
        }
        rows.sort();
        let legend: Vec<Value> = thematic
            .categories
            .iter()
            .zip(&counts)
            .filter(|(_, n)| **n > 0)
            .map(|(cat, n)| {
                object!({
                    "nom": cat.name.clone(),
                    "pastille": swatch(cat.fill, (cat.fill == HATCHED).then_some("legende-hachures")),
                    "nombre": n,
                })
            })
            .collect();
        let lines: Vec<Value> = rows
            .iter()
            .map(|&(k, _, c)| {
                let mut link = self.city_link(c);
                set(
                    &mut link,
                    [
                        (
                            "categorie",
                            thematic.categories[k].name.as_str().into_context(),
                        ),
                        ("complete", site.cities[c].complete.into_context()),
                    ],
                );
                link
            })
            .collect();
        let description = match thematic.id.as_str() {
            "intercommunalites" => {
                "Carte des communes de l’atlas, colorées selon leur intercommunalité.".to_string()
            }
            "maturite" => {
                "Carte de la maturité numérique des communes de l’atlas (grille de maturité)."
                    .to_string()
            }
            _ => format!("{} : carte des communes qui la pratiquent.", thematic.title),
        };
        let crumbs = if url == "carte/" {
            Vec::new()
        } else {
            vec![self.crumb("Carte", "carte/")]
        };
        let page_title = if url == "carte/" {
            "Carte".to_string()
        } else {
            format!("Carte\u{a0}: {}", thematic.title)
        };
        Page {
            later: None,
            search: None,
            case: None,
            url: url.clone(),
            output: format!("{url}index.html"),
            template: "carte.html",
            context: object!({
                "page": self.page(&url, &page_title, &description, "carte", crumbs),
                "carte": {
                    "id": thematic.id.clone(),
                    "par_strategie": thematic.id.starts_with("strategies/"),
                    "titre": thematic.title.clone(),
                    "svg": svg,
                    "schematique": geometry.schematic,
                    "avis_schematique": typography(SCHEMATIC_NOTICE),
                    "contours": geometry.outlines_file.clone(),
                    "legende": legend,
                    "colonne": thematic.column.clone(),
                    "lignes": lines,
                    "non_placees": unplaced.iter().map(|&c| self.city_link(c)).collect::<Vec<_>>(),
                    "total": site.cities.len(),
                },
                "cartes": menu,
            }),
        }
    }

    /// The big map: every commune a link, coloured by category, principal cities labelled.
    fn map_svg(&self, geometry: &MapGeometry, thematic: &Thematic) -> String {
        let site = self.site;
        let base = &site.config.base_path;
        let mut svg = String::with_capacity(48 * 1024);
        let _ = write!(
            svg,
            "<svg class=\"carte-svg\" viewBox=\"0 0 {} {}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"group\" aria-labelledby=\"carte-titre\">\
<title id=\"carte-titre\">{}</title>",
            num(geometry.width),
            num(geometry.height),
            escape(&format!("Carte\u{a0}: {}", thematic.title)),
        );
        if thematic.categories.iter().any(|c| c.fill == HATCHED) {
            svg.push_str(&hatch_pattern("carte-hachures", 10));
        }
        if !geometry.boundary.is_empty() {
            let _ = write!(
                svg,
                "<path class=\"carte-fond\" d=\"{}\"/>",
                geometry.boundary
            );
        }
        svg.push_str("<g class=\"carte-communes\" fill-rule=\"evenodd\">");
        for (c, city) in site.cities.iter().enumerate() {
            if geometry.points[c].is_none() && geometry.areas[c].is_empty() {
                continue;
            }
            let principal = city.complete;
            let _ = write!(
                svg,
                "<a href=\"{base}villes/{}/\" class=\"carte-commune{}\"><title>{}\u{a0}: {}</title>",
                city.slug,
                if principal {
                    " carte-commune--principale"
                } else {
                    ""
                },
                escape(&typography(&city.nom)),
                escape(&thematic.detail[c]),
            );
            if !geometry.areas[c].is_empty() {
                let _ = write!(
                    svg,
                    "<path d=\"{}\" fill=\"{}\"/>",
                    geometry.areas[c], thematic.categories[thematic.of_city[c]].fill
                );
            }
            if let Some(point) = geometry.points[c] {
                let _ = write!(
                    svg,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"{}\"/>",
                    num(point.0),
                    num(point.1),
                    if principal { 7 } else { 3 }
                );
            }
            svg.push_str("</a>");
        }
        svg.push_str("</g>");
        if !geometry.epci_borders.is_empty() && thematic.id == "intercommunalites" {
            let _ = write!(
                svg,
                "<path class=\"carte-limites\" d=\"{}\"/>",
                geometry.epci_borders
            );
        }
        svg.push_str(&labels(site, geometry));
        svg.push_str("</svg>");
        svg
    }

    /// The small map of a city page (`city` highlighted within its intercommunality) or of
    /// an intercommunality page.
    fn small_map(
        &self,
        geometry: &MapGeometry,
        city: Option<usize>,
        epci: Option<usize>,
    ) -> Option<Value> {
        let site = self.site;
        if let Some(c) = city
            && geometry.points[c].is_none()
            && geometry.areas[c].is_empty()
        {
            return None;
        }
        let members: Vec<usize> = epci
            .map(|e| {
                self.by_name(self.ix.cities_by_epci[e].clone())
                    .into_iter()
                    .filter(|&m| Some(m) != city)
                    .collect()
            })
            .unwrap_or_default();
        let drawn_members: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&m| !geometry.areas[m].is_empty() || geometry.points[m].is_some())
            .collect();
        if city.is_none() && drawn_members.is_empty() {
            return None;
        }
        let epci_name = epci.map(|e| of(&typography(&site.epcis[e].nom)));
        let title = match (city, &epci_name) {
            (Some(c), Some(e)) => format!(
                "Situation {} dans le département, parmi les communes {e}",
                of(&typography(&site.cities[c].nom))
            ),
            (Some(c), None) => format!(
                "Situation {} dans le département",
                of(&typography(&site.cities[c].nom))
            ),
            (None, Some(e)) => format!("Les communes {e} dans le département"),
            (None, None) => return None,
        };
        let mut svg = String::with_capacity(8 * 1024);
        let _ = write!(
            svg,
            "<svg class=\"petite-carte\" viewBox=\"0 0 {} {}\" xmlns=\"http://www.w3.org/2000/svg\" fill-rule=\"evenodd\" role=\"img\" aria-labelledby=\"petite-carte-titre\">\
<title id=\"petite-carte-titre\">{}</title>",
            num(geometry.width),
            num(geometry.height),
            escape(&title)
        );
        // Background: the schematic map's outline, or every outline.
        let background = if geometry.schematic {
            geometry.boundary.clone()
        } else {
            geometry.small_areas.concat()
        };
        let _ = write!(svg, "<path class=\"pc-fond\" d=\"{background}\"/>");
        let members_path: String = drawn_members
            .iter()
            .map(|&m| geometry.small_areas[m].as_str())
            .collect();
        if !members_path.is_empty() {
            let _ = write!(svg, "<path class=\"pc-epci\" d=\"{members_path}\"/>");
        }
        if !geometry.epci_borders.is_empty() {
            let _ = write!(
                svg,
                "<path class=\"pc-limites\" d=\"{}\"/>",
                geometry.epci_borders
            );
        }
        if let Some(c) = city {
            if !geometry.small_areas[c].is_empty() {
                let _ = write!(
                    svg,
                    "<path class=\"pc-ville\" d=\"{}\"/>",
                    geometry.small_areas[c]
                );
            }
            if let Some(p) = geometry.points[c] {
                let _ = write!(
                    svg,
                    "<circle class=\"pc-point\" cx=\"{}\" cy=\"{}\" r=\"14\"/>",
                    num(p.0),
                    num(p.1)
                );
            }
        } else {
            for &m in &drawn_members {
                if let Some(p) = geometry.points[m] {
                    let _ = write!(
                        svg,
                        "<circle class=\"pc-point pc-point--petit\" cx=\"{}\" cy=\"{}\" r=\"7\"/>",
                        num(p.0),
                        num(p.1)
                    );
                }
            }
        }
        svg.push_str("</svg>");
        Some(object!({
            "svg": svg,
            "titre": title,
            "ville": city.map(|c| typography(&site.cities[c].nom)),
            "intercommunalite": epci.map(|e| self.epci_link(e)),
            "de_intercommunalite": epci.map(|e| of(&typography(&self.site.epcis[e].nom)).trim_end_matches(&*typography(&self.site.epcis[e].nom)).to_string()),
            "autres": drawn_members.iter().map(|&m| self.city_link(m)).collect::<Vec<_>>(),
            "schematique": geometry.schematic,
            "avis_schematique": typography(SCHEMATIC_NOTICE),
            "url_carte": self.url("carte/"),
        }))
    }
}

/// The hatching of « non renseigné »: a `<defs>` with a pattern of `size` units.
pub fn hatch_pattern(id: &str, size: u32) -> String {
    format!(
        "<defs><pattern id=\"{id}\" width=\"{size}\" height=\"{size}\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
<rect width=\"{size}\" height=\"{size}\" fill=\"#f7f5f2\"/><path d=\"M0 0V{size}\" stroke=\"#9d95aa\" stroke-width=\"{}\"/></pattern></defs>",
        f64::from(size) / 5.0
    )
}

/// A legend swatch: a small SVG square with the category's fill; with `hatch_id`, the
/// hatching of « non renseigné » (its pattern gets that id, unique in the page).
pub fn swatch(fill: &str, hatch_id: Option<&str>) -> String {
    match hatch_id {
        Some(id) => format!(
            "<svg class=\"legende__pastille\" viewBox=\"0 0 20 20\" aria-hidden=\"true\" focusable=\"false\">{}<rect width=\"20\" height=\"20\" fill=\"url(#{id})\"/></svg>",
            hatch_pattern(id, 7)
        ),
        None => format!(
            "<svg class=\"legende__pastille\" viewBox=\"0 0 20 20\" aria-hidden=\"true\" focusable=\"false\"><rect width=\"20\" height=\"20\" fill=\"{fill}\"/></svg>"
        ),
    }
}

/// An axis-aligned box: left, top, right, bottom.
type Rect = (f64, f64, f64, f64);

fn overlap(a: Rect, b: Rect) -> f64 {
    let w = (a.2.min(b.2) - a.0.max(b.0)).max(0.0);
    let h = (a.3.min(b.3) - a.1.max(b.1)).max(0.0);
    w * h
}

/// Where a label goes around its point: right, left, above, below.
#[derive(Clone, Copy)]
enum Side {
    Right,
    Left,
    Above,
    Below,
}

const GAP: f64 = 10.0;

/// The box of a label of `chars` characters at `font` size on `side` of `p`.
fn label_box(p: Point, chars: usize, font: f64, side: Side) -> Rect {
    let w = chars as f64 * 0.55 * font + 4.0;
    let h = font;
    match side {
        Side::Right => (p.0 + GAP, p.1 - 0.6 * h, p.0 + GAP + w, p.1 + 0.5 * h),
        Side::Left => (p.0 - GAP - w, p.1 - 0.6 * h, p.0 - GAP, p.1 + 0.5 * h),
        Side::Above => (p.0 - w / 2.0, p.1 - GAP - h, p.0 + w / 2.0, p.1 - GAP),
        Side::Below => (p.0 - w / 2.0, p.1 + GAP, p.0 + w / 2.0, p.1 + GAP + h),
    }
}

/// Places labels greedily from the most populous city: each takes the first side (right,
/// left, above, below) where it overlaps no placed label nor principal point and stays inside
/// the map. `all`: a label that fits nowhere still takes the least bad side; otherwise it is
/// left out.
fn place_labels(
    site: &crate::resolve::Site,
    geometry: &MapGeometry,
    principal: &[usize],
    font: f64,
    all: bool,
) -> Vec<(usize, Side)> {
    let dots: Vec<(usize, Rect)> = principal
        .iter()
        .filter_map(|&c| {
            geometry.points[c].map(|p| (c, (p.0 - 7.0, p.1 - 7.0, p.0 + 7.0, p.1 + 7.0)))
        })
        .collect();
    let inside =
        |r: Rect| r.0 >= 0.0 && r.1 >= 0.0 && r.2 <= geometry.width && r.3 <= geometry.height;
    let mut placed: Vec<Rect> = Vec::new();
    let mut out = Vec::new();
    for &c in principal {
        let Some(p) = geometry.points[c] else {
            continue;
        };
        let chars = typography(&site.cities[c].nom).chars().count();
        let cost = |side: Side| {
            let b = label_box(p, chars, font, side);
            let mut cost: f64 = placed.iter().map(|&o| overlap(b, o)).sum();
            cost += dots
                .iter()
                .filter(|(d, _)| *d != c)
                .map(|&(_, o)| overlap(b, o))
                .sum::<f64>();
            if !inside(b) {
                cost += 1e6;
            }
            cost
        };
        let sides = [Side::Right, Side::Left, Side::Above, Side::Below];
        let chosen = match sides.into_iter().find(|&side| cost(side) < 1.0) {
            Some(side) => Some(side),
            None if all => sides
                .into_iter()
                .min_by(|&a, &b| cost(a).total_cmp(&cost(b))),
            None => None,
        };
        if let Some(side) = chosen {
            placed.push(label_box(p, chars, font, side));
            out.push((c, side));
        }
    }
    out
}

/// Labels of the principal cities (complete cards), placed twice: for wide screens, every
/// one; for narrow screens, in larger type, those that fit without overlapping (the names
/// stay in the tooltips and the table). CSS shows one set or the other; without CSS, the
/// narrow set is hidden by its `display` attribute.
fn labels(site: &crate::resolve::Site, geometry: &MapGeometry) -> String {
    let mut principal: Vec<usize> = (0..site.cities.len())
        .filter(|&c| site.cities[c].complete && geometry.points[c].is_some())
        .collect();
    principal.sort_by_key(|&c| (std::cmp::Reverse(site.cities[c].population.unwrap_or(0)), c));
    let mut out = String::from("<g class=\"carte-etiquettes\" aria-hidden=\"true\">");
    for (font, all, class) in [
        (FONT_WIDE, true, "carte-etiquette carte-etiquette--large\""),
        (
            FONT_NARROW,
            false,
            "carte-etiquette carte-etiquette--etroite\" display=\"none\"",
        ),
    ] {
        for (c, side) in place_labels(site, geometry, &principal, font, all) {
            let Some(p) = geometry.points[c] else {
                continue;
            };
            let (x, y, anchor, dy) = match side {
                Side::Right => (p.0 + GAP, p.1, "start", "0.35em"),
                Side::Left => (p.0 - GAP, p.1, "end", "0.35em"),
                Side::Above => (p.0, p.1 - GAP, "middle", "-0.2em"),
                Side::Below => (p.0, p.1 + GAP, "middle", "0.8em"),
            };
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" dy=\"{dy}\" text-anchor=\"{anchor}\" class=\"{class}>{}</text>",
                num(x),
                num(y),
                escape(&typography(&site.cities[c].nom))
            );
        }
    }
    out.push_str("</g>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_after_de_are_elided_and_contracted() {
        assert_eq!(of("Avignon"), "d’Avignon");
        assert_eq!(of("Le Pontet"), "du Pontet");
        assert_eq!(of("Les Taillades"), "des Taillades");
        assert_eq!(of("Carpentras"), "de Carpentras");
        assert_eq!(of("L’Isle-sur-la-Sorgue"), "de L’Isle-sur-la-Sorgue");
        assert_eq!(
            of("CA du Grand Avignon (COGA)"),
            "de la CA du Grand Avignon (COGA)"
        );
        assert_eq!(
            of("Métropole d’Aix-Marseille-Provence"),
            "de la Métropole d’Aix-Marseille-Provence"
        );
    }

    #[test]
    fn paths_are_compact_and_drop_repeated_points() {
        let mut out = String::new();
        ring_path(
            &mut out,
            &[(0.2, 0.0), (10.4, 0.0), (10.0, 0.3), (10.0, 10.0)],
        );
        assert_eq!(out, "M0 0L10 0 10 10Z");
        let mut degenerate = String::new();
        ring_path(&mut degenerate, &[(0.0, 0.0), (0.1, 0.1), (5.0, 5.0)]);
        assert_eq!(degenerate, "", "fewer than three points once rounded");
    }

    #[test]
    fn labels_avoid_each_other() {
        let a = label_box((100.0, 100.0), 8, 20.0, Side::Right);
        let b = label_box((100.0, 100.0), 8, 20.0, Side::Left);
        assert_eq!(overlap(a, b), 0.0);
        assert!(overlap(a, a) > 0.0);
    }
}

//! Geometry for the maps: the Lambert-93 projection (the legal projection of mainland
//! France), Voronoi cells of the commune centres clipped to their convex hull (the schematic
//! map drawn when no outlines are given), line simplification, and the commune outlines read
//! from the GeoJSON file named by `carte.contours` in `atlas.yaml`.
//!
//! Reading the GeoJSON happens at the resolve stage ([`resolve_map`]), so that `check`
//! reports its problems like any other content error: with the file, the line and the column.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::{Diagnostic, closest, display_path, quoted};
use crate::load::LoadedSite;
use crate::resolve::{City, Config};

/// A point of the plane: Lambert-93 metres (x east, y north), or SVG units once fitted.
pub type Point = (f64, f64);

// ---------------------------------------------------------------------------------------
// Lambert-93

/// GRS 80 semi-major axis, in metres.
const GRS80_A: f64 = 6_378_137.0;
/// GRS 80 inverse flattening.
const GRS80_INVERSE_FLATTENING: f64 = 298.257_222_101;

/// The constants of a Lambert conformal conic projection with two standard parallels,
/// derived once from its definition (EPSG method 9802).
#[derive(Debug, Clone, Copy)]
pub struct Lambert {
    /// Eccentricity of the ellipsoid.
    e: f64,
    /// Longitude of origin, radians.
    lambda0: f64,
    /// Exponent of the projection.
    pub n: f64,
    /// `a·F`: radius factor, metres (`C` in IGN's notation).
    pub c: f64,
    pub false_easting: f64,
    /// False northing plus the radius of the origin parallel (`Ys` in IGN's notation).
    pub ys: f64,
}

impl Lambert {
    /// Lambert-93 (EPSG:2154): GRS 80, standard parallels 44° N and 49° N, origin 46° 30′ N
    /// 3° E, false easting 700 000 m, false northing 6 600 000 m.
    pub fn lambert93() -> Lambert {
        Lambert::new(44.0, 49.0, 46.5, 3.0, 700_000.0, 6_600_000.0)
    }

    /// A Lambert conformal conic projection on GRS 80, angles in degrees.
    pub fn new(
        parallel1: f64,
        parallel2: f64,
        latitude0: f64,
        longitude0: f64,
        false_easting: f64,
        false_northing: f64,
    ) -> Lambert {
        let f = 1.0 / GRS80_INVERSE_FLATTENING;
        let e = (2.0 * f - f * f).sqrt();
        let m = |phi: f64| phi.cos() / (1.0 - (e * phi.sin()).powi(2)).sqrt();
        let t = |phi: f64| {
            (std::f64::consts::FRAC_PI_4 - phi / 2.0).tan()
                / ((1.0 - e * phi.sin()) / (1.0 + e * phi.sin())).powf(e / 2.0)
        };
        let (phi1, phi2, phi0) = (
            parallel1.to_radians(),
            parallel2.to_radians(),
            latitude0.to_radians(),
        );
        let n = (m(phi1).ln() - m(phi2).ln()) / (t(phi1).ln() - t(phi2).ln());
        let c = GRS80_A * m(phi1) / (n * t(phi1).powf(n));
        let r0 = c * t(phi0).powf(n);
        Lambert {
            e,
            lambda0: longitude0.to_radians(),
            n,
            c,
            false_easting,
            ys: false_northing + r0,
        }
    }

    /// Projects a WGS 84 / RGF93 position (degrees) to metres (easting, northing).
    pub fn project(&self, lat: f64, lon: f64) -> Point {
        let phi = lat.to_radians();
        let t = (std::f64::consts::FRAC_PI_4 - phi / 2.0).tan()
            / ((1.0 - self.e * phi.sin()) / (1.0 + self.e * phi.sin())).powf(self.e / 2.0);
        let r = self.c * t.powf(self.n);
        let theta = self.n * (lon.to_radians() - self.lambda0);
        (
            self.false_easting + r * theta.sin(),
            self.ys - r * theta.cos(),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Plane geometry

fn cross(o: Point, a: Point, b: Point) -> f64 {
    (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
}

fn distance(a: Point, b: Point) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// Convex hull (Andrew's monotone chain), counter-clockwise, without repeated last point.
/// Fewer than three distinct points give what there is.
pub fn convex_hull(points: &[Point]) -> Vec<Point> {
    let mut sorted: Vec<Point> = points
        .iter()
        .copied()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    sorted.dedup();
    if sorted.len() < 3 {
        return sorted;
    }
    let mut hull: Vec<Point> = Vec::with_capacity(sorted.len() * 2);
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &Point>> = if pass == 0 {
            Box::new(sorted.iter())
        } else {
            Box::new(sorted.iter().rev())
        };
        for &p in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

/// The convex hull of the points grown by `margin` (each point stands for a small octagon
/// around it), so that the cells at the edge do not stop exactly on their own centre.
pub fn buffered_hull(points: &[Point], margin: f64) -> Vec<Point> {
    let mut around = Vec::with_capacity(points.len() * 8);
    for &(x, y) in points {
        for k in 0..8 {
            let angle = std::f64::consts::PI / 8.0 + k as f64 * std::f64::consts::FRAC_PI_4;
            around.push((x + margin * angle.cos(), y + margin * angle.sin()));
        }
    }
    convex_hull(&around)
}

/// A Voronoi cell: a convex polygon (counter-clockwise) and, for each edge `k` (from vertex
/// `k` to vertex `k + 1`), the site on the other side, or `None` on the outer boundary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cell {
    pub polygon: Vec<Point>,
    pub neighbours: Vec<Option<usize>>,
}

/// Keeps the part of a convex polygon where `(p - mid) · dir <= 0`; the new edge is labelled
/// `label`.
fn clip(cell: &Cell, mid: Point, dir: Point, label: usize) -> Cell {
    let side = |p: Point| (p.0 - mid.0) * dir.0 + (p.1 - mid.1) * dir.1;
    let scale = (dir.0 * dir.0 + dir.1 * dir.1).sqrt();
    let eps = 1e-9 * scale.max(1.0);
    let mut out = Cell::default();
    let n = cell.polygon.len();
    for k in 0..n {
        let (a, b) = (cell.polygon[k], cell.polygon[(k + 1) % n]);
        let label_ab = cell.neighbours[k];
        let (sa, sb) = (side(a), side(b));
        let (a_in, b_in) = (sa <= eps, sb <= eps);
        let cut = || {
            let t = sa / (sa - sb);
            (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
        };
        match (a_in, b_in) {
            (true, true) => {
                out.polygon.push(a);
                out.neighbours.push(label_ab);
            }
            (true, false) => {
                out.polygon.push(a);
                out.neighbours.push(label_ab);
                let i = cut();
                if distance(i, a) > eps {
                    out.polygon.push(i);
                    out.neighbours.push(Some(label));
                } else if let Some(last) = out.neighbours.last_mut() {
                    *last = Some(label);
                }
            }
            (false, true) => {
                let i = cut();
                if distance(i, b) > eps {
                    out.polygon.push(i);
                    out.neighbours.push(label_ab);
                }
            }
            (false, false) => {}
        }
    }
    if out.polygon.len() < 3 {
        return Cell::default();
    }
    out
}

/// Voronoi cells of `sites`, each clipped to the convex polygon `region` (counter-clockwise).
/// Half-plane clipping, O(n²) in the worst case with an early stop: fine for the few hundred
/// communes of a department, and exact. Two sites at the same place share the same cell.
pub fn voronoi_cells(sites: &[Point], region: &[Point]) -> Vec<Cell> {
    let start = Cell {
        polygon: region.to_vec(),
        neighbours: vec![None; region.len()],
    };
    (0..sites.len())
        .map(|i| {
            let p = sites[i];
            let mut others: Vec<usize> = (0..sites.len()).filter(|&j| j != i).collect();
            others.sort_by(|&a, &b| {
                distance(p, sites[a])
                    .total_cmp(&distance(p, sites[b]))
                    .then(a.cmp(&b))
            });
            let mut cell = start.clone();
            for j in others {
                let q = sites[j];
                let d = distance(p, q);
                if d < 1e-9 {
                    continue;
                }
                // No vertex of the cell is farther than half the distance to `q`: neither
                // `q` nor any farther site can cut it any more.
                let reach = cell
                    .polygon
                    .iter()
                    .map(|&v| distance(p, v))
                    .fold(0.0, f64::max);
                if d / 2.0 > reach {
                    break;
                }
                let mid = ((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0);
                cell = clip(&cell, mid, (q.0 - p.0, q.1 - p.1), j);
                if cell.polygon.is_empty() {
                    break;
                }
            }
            cell
        })
        .collect()
}

/// Douglas–Peucker simplification of an open or closed line: keeps the points farther than
/// `tolerance` from the simplified line.
pub fn simplify(points: &[Point], tolerance: f64) -> Vec<Point> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0, points.len() - 1)];
    while let Some((first, last)) = stack.pop() {
        if last <= first + 1 {
            continue;
        }
        let (a, b) = (points[first], points[last]);
        let length = distance(a, b);
        let mut farthest = (0.0, first);
        for (k, &p) in points.iter().enumerate().take(last).skip(first + 1) {
            let d = if length < 1e-12 {
                distance(p, a)
            } else {
                cross(a, b, p).abs() / length
            };
            if d > farthest.0 {
                farthest = (d, k);
            }
        }
        if farthest.0 > tolerance {
            keep[farthest.1] = true;
            stack.push((first, farthest.1));
            stack.push((farthest.1, last));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| *p)
        .collect()
}

/// Signed area (positive counter-clockwise) and centroid of a simple polygon.
pub fn area_centroid(ring: &[Point]) -> (f64, Point) {
    let n = ring.len();
    let (mut area, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for k in 0..n {
        let (a, b) = (ring[k], ring[(k + 1) % n]);
        let f = a.0 * b.1 - b.0 * a.1;
        area += f;
        cx += (a.0 + b.0) * f;
        cy += (a.1 + b.1) * f;
    }
    area /= 2.0;
    if area.abs() < 1e-12 {
        let mean = ring.iter().fold((0.0, 0.0), |s, p| (s.0 + p.0, s.1 + p.1));
        let count = n.max(1) as f64;
        return (0.0, (mean.0 / count, mean.1 / count));
    }
    (area, (cx / (6.0 * area), cy / (6.0 * area)))
}

// ---------------------------------------------------------------------------------------
// Commune outlines (GeoJSON)

/// One commune's outline: polygons, each an outer ring then its holes, in degrees
/// (longitude, latitude).
pub type Polygons = Vec<Vec<Vec<Point>>>;

/// The outlines read from the GeoJSON file of `carte.contours`, by INSEE code.
#[derive(Debug, Clone, Default)]
pub struct Outlines {
    /// The file, relative to the site root, for messages.
    pub file: String,
    pub communes: BTreeMap<String, Polygons>,
}

/// The map options of the site, resolved: `carte` in `atlas.yaml`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MapData {
    /// `carte.contours` as written.
    pub contours: Option<String>,
    /// The outlines, when `contours` names a valid file.
    #[serde(skip)]
    pub outlines: Option<Arc<Outlines>>,
}

/// Largest outlines file read, in bytes: the outlines of every commune of France, simplified,
/// fit well below.
const MAX_OUTLINES_BYTES: u64 = 64 * 1024 * 1024;

/// How many diagnostics of one kind are listed before a summary.
const MAX_LISTED: usize = 20;

/// Reads the outlines file named by `carte.contours`, if any, checks it against the cities
/// and stores it in the configuration. Problems in the file are errors with their line; a
/// commune without an outline is a warning.
pub fn resolve_map(
    loaded: &LoadedSite,
    cities: &[City],
    config: Option<&mut Config>,
    d: &mut Vec<Diagnostic>,
) {
    let (Some(config), Some(parsed)) = (config, loaded.config.as_ref()) else {
        return;
    };
    let Some(contours) = parsed.value.carte.contours.as_ref() else {
        return;
    };
    config.carte.contours = Some(contours.value.clone());
    let at_config = |message: String| {
        let mut diagnostic = Diagnostic::error("contours", parsed.file.display.clone(), message);
        let line = contours.referenced.line() as usize;
        if line > 0 {
            diagnostic = diagnostic.at(
                &parsed.file.text,
                line,
                contours.referenced.column() as usize,
                contours.value.chars().count(),
            );
        }
        diagnostic
    };
    if contours.value.trim().is_empty() {
        d.push(
            at_config("chemin de fichier de contours vide".to_string())
                .expected("le chemin d’un fichier GeoJSON, relatif à la racine du site"),
        );
        return;
    }
    let path = loaded.root.join(&contours.value);
    let display = if path.starts_with(&loaded.root) {
        display_path(&loaded.root, &path)
    } else {
        contours.value.clone()
    };
    let text = match read_text(&path) {
        Ok(text) => text,
        Err(reason) => {
            d.push(
                at_config(format!(
                    "fichier de contours {} illisible\u{a0}: {reason}",
                    quoted(&contours.value)
                ))
                .expected("le chemin d’un fichier GeoJSON, relatif à la racine du site (ex.\u{a0}: content/carte/communes.geojson)"),
            );
            return;
        }
    };
    let text: Arc<str> = Arc::from(text);
    match parse_outlines(&text, &display, cities, d) {
        Some(outlines) => config.carte.outlines = Some(Arc::new(outlines)),
        None => {
            if !d.iter().any(|x| x.is_error() && x.file == display) {
                d.push(Diagnostic::error(
                    "geojson",
                    display,
                    "fichier de contours inutilisable",
                ));
            }
        }
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    let metadata = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "fichier introuvable".to_string(),
        std::io::ErrorKind::PermissionDenied => "accès refusé".to_string(),
        _ => format!("lecture impossible ({e})"),
    })?;
    if metadata.is_dir() {
        return Err("ce nom désigne un dossier, pas un fichier".to_string());
    }
    if metadata.len() > MAX_OUTLINES_BYTES {
        return Err(format!(
            "fichier trop volumineux ({} octets, limite {MAX_OUTLINES_BYTES})\u{a0}: simplifiez les contours",
            metadata.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("lecture impossible ({e})"))?;
    let text = String::from_utf8(bytes).map_err(|_| "le fichier n’est pas en UTF-8".to_string())?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(&text).to_string())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A serde_json syntax error, said in French.
fn french_json_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let what = [
        (
            "EOF while parsing",
            "fin de fichier inattendue (un crochet ou une accolade n’est pas fermé)",
        ),
        (
            "trailing comma",
            "virgule en trop avant la fin d’une liste ou d’un objet",
        ),
        (
            "key must be a string",
            "une clé doit être une chaîne entre guillemets droits",
        ),
        (
            "expected `,` or `}`",
            "«\u{202f},\u{202f}» ou «\u{202f}}\u{202f}» attendu",
        ),
        (
            "expected `,` or `]`",
            "«\u{202f},\u{202f}» ou «\u{202f}]\u{202f}» attendu",
        ),
        ("expected `:`", "«\u{202f}:\u{202f}» attendu après une clé"),
        ("expected value", "valeur attendue"),
        (
            "trailing characters",
            "caractères en trop après la fin du document",
        ),
        ("control character", "caractère de contrôle dans une chaîne"),
        ("invalid escape", "séquence d’échappement invalide"),
        ("invalid number", "nombre invalide"),
        ("recursion limit", "imbrication trop profonde"),
    ]
    .iter()
    .find(|(english, _)| message.contains(english))
    .map_or("syntaxe incorrecte", |(_, french)| french);
    format!("JSON invalide\u{a0}: {what}")
}

/// Where things are in the text: for each element of the top-level `features` array, the
/// byte offset of the element and of its `properties.code` value. The text is valid JSON
/// (serde_json parsed it first).
#[derive(Debug, Default)]
struct Offsets {
    features: Vec<usize>,
    codes: HashMap<usize, usize>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    offsets: Offsets,
}

impl Scanner<'_> {
    fn whitespace(&mut self) {
        while self.at < self.bytes.len() && self.bytes[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    /// A string, the scanner on its opening quote; escapes are kept as written (keys that
    /// matter here have none).
    fn string(&mut self) -> String {
        let start = self.at + 1;
        self.at += 1;
        while self.at < self.bytes.len() && self.bytes[self.at] != b'"' {
            if self.bytes[self.at] == b'\\' {
                self.at += 1;
            }
            self.at += 1;
        }
        let text = String::from_utf8_lossy(&self.bytes[start..self.at.min(self.bytes.len())]);
        self.at += 1;
        text.to_string()
    }

    fn value(&mut self, path: &mut Vec<Segment>) {
        self.whitespace();
        match path.as_slice() {
            [Segment::Key(f), Segment::Index(_)] if f == "features" => {
                self.offsets.features.push(self.at);
            }
            [
                Segment::Key(f),
                Segment::Index(k),
                Segment::Key(p),
                Segment::Key(c),
            ] if f == "features" && p == "properties" && c == "code" => {
                self.offsets.codes.insert(*k, self.at);
            }
            _ => {}
        }
        // Below a feature's properties, only positions of whole features matter.
        let deep = path.len() >= 4;
        match self.bytes.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                loop {
                    self.whitespace();
                    match self.bytes.get(self.at) {
                        Some(b'}') | None => {
                            self.at += 1;
                            return;
                        }
                        Some(b',') => self.at += 1,
                        Some(b'"') => {
                            let key = self.string();
                            self.whitespace();
                            self.at += 1; // ':'
                            if deep {
                                self.skip();
                            } else {
                                path.push(Segment::Key(key));
                                self.value(path);
                                path.pop();
                            }
                        }
                        Some(_) => self.at += 1,
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut index = 0;
                loop {
                    self.whitespace();
                    match self.bytes.get(self.at) {
                        Some(b']') | None => {
                            self.at += 1;
                            return;
                        }
                        Some(b',') => self.at += 1,
                        Some(_) => {
                            if deep {
                                self.skip();
                            } else {
                                path.push(Segment::Index(index));
                                self.value(path);
                                path.pop();
                            }
                            index += 1;
                        }
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while self.at < self.bytes.len()
                    && !matches!(self.bytes[self.at], b',' | b'}' | b']')
                    && !self.bytes[self.at].is_ascii_whitespace()
                {
                    self.at += 1;
                }
            }
            None => {}
        }
    }

    /// Skips one value without recording anything (iterative: coordinates nest deeply).
    fn skip(&mut self) {
        self.whitespace();
        let mut depth = 0usize;
        loop {
            match self.bytes.get(self.at) {
                None => return,
                Some(b'"') => {
                    self.string();
                    if depth == 0 {
                        return;
                    }
                    continue;
                }
                Some(b'{') | Some(b'[') => depth += 1,
                Some(b'}') | Some(b']') => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.at += 1;
                        return;
                    }
                }
                Some(b',') if depth == 0 => return,
                Some(_) => {}
            }
            self.at += 1;
        }
    }
}

fn offsets(text: &str) -> Offsets {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        at: 0,
        offsets: Offsets::default(),
    };
    scanner.value(&mut Vec::new());
    scanner.offsets
}

/// Reads the positions of one GeoJSON position array `[lon, lat, …]`.
fn position(value: &Value) -> Result<Point, String> {
    let coordinates = value
        .as_array()
        .filter(|a| a.len() >= 2)
        .ok_or_else(|| "une position doit être une liste [longitude, latitude]".to_string())?;
    let (Some(lon), Some(lat)) = (coordinates[0].as_f64(), coordinates[1].as_f64()) else {
        return Err(
            "une position doit être une liste de deux nombres [longitude, latitude]".to_string(),
        );
    };
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(format!(
            "position hors limites [{lon}, {lat}]\u{a0}: GeoJSON attend des longitudes et latitudes en degrés WGS\u{a0}84 (le fichier est peut-être en Lambert-93\u{a0}: reprojetez-le en EPSG:4326)"
        ));
    }
    Ok((lon, lat))
}

fn polygon(value: &Value) -> Result<Vec<Vec<Point>>, String> {
    let rings = value
        .as_array()
        .ok_or_else(|| "un polygone doit être une liste d’anneaux".to_string())?;
    let mut out = Vec::new();
    for ring in rings {
        let points = ring
            .as_array()
            .ok_or_else(|| "un anneau doit être une liste de positions".to_string())?
            .iter()
            .map(position)
            .collect::<Result<Vec<Point>, String>>()?;
        let mut points = points;
        if points.len() > 1 && points.first() == points.last() {
            points.pop();
        }
        if points.len() < 3 {
            return Err("un anneau de polygone a moins de trois positions distinctes".to_string());
        }
        out.push(points);
    }
    if out.is_empty() {
        return Err("polygone sans anneau".to_string());
    }
    Ok(out)
}

fn geometry(value: &Value) -> Result<Polygons, String> {
    let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
    let coordinates = value
        .get("coordinates")
        .ok_or_else(|| "géométrie sans «\u{202f}coordinates\u{202f}»".to_string())?;
    match kind {
        "Polygon" => Ok(vec![polygon(coordinates)?]),
        "MultiPolygon" => coordinates
            .as_array()
            .ok_or_else(|| "un MultiPolygon doit être une liste de polygones".to_string())?
            .iter()
            .map(polygon)
            .collect(),
        "" => Err("géométrie sans «\u{202f}type\u{202f}»".to_string()),
        other => Err(format!(
            "géométrie {} non prise en charge\u{a0}: Polygon ou MultiPolygon attendu",
            quoted(other)
        )),
    }
}

/// Parses and checks the outlines. Returns `None` when the file cannot be used at all.
fn parse_outlines(
    text: &Arc<str>,
    display: &str,
    cities: &[City],
    d: &mut Vec<Diagnostic>,
) -> Option<Outlines> {
    let error_at = |offset: usize, code: &'static str, message: String, chars: usize| {
        let (line, column) = line_column(text, offset);
        Diagnostic::error(code, display.to_string(), message).at(text, line, column, chars)
    };
    let document: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => {
            let mut diagnostic =
                Diagnostic::error("geojson", display.to_string(), french_json_error(&error));
            if error.line() > 0 {
                diagnostic = diagnostic.at(text, error.line(), error.column(), 1);
            }
            d.push(diagnostic.expected("un document GeoJSON (RFC 7946) : une FeatureCollection"));
            return None;
        }
    };
    let offsets = offsets(text);
    let features = match (
        document.get("type").and_then(Value::as_str),
        document.get("features").and_then(Value::as_array),
    ) {
        (Some("FeatureCollection"), Some(features)) => features,
        _ => {
            d.push(
                Diagnostic::error(
                    "geojson",
                    display.to_string(),
                    "le fichier n’est pas une FeatureCollection GeoJSON",
                )
                .at(text, 1, 1, 1)
                .expected("{\"type\": \"FeatureCollection\", \"features\": [ … ]}"),
            );
            return None;
        }
    };
    let by_insee: HashMap<&str, &City> = cities.iter().map(|c| (c.insee.as_str(), c)).collect();
    let mut outlines = Outlines {
        file: display.to_string(),
        communes: BTreeMap::new(),
    };
    let mut first_feature: HashMap<String, usize> = HashMap::new();
    let mut unknown = Vec::new();
    for (k, feature) in features.iter().enumerate() {
        let start = offsets.features.get(k).copied().unwrap_or(0);
        let number = k + 1;
        if feature.get("type").and_then(Value::as_str) != Some("Feature") {
            d.push(error_at(
                start,
                "geojson",
                format!("l’élément n°\u{a0}{number} de «\u{202f}features\u{202f}» n’est pas un objet de type «\u{202f}Feature\u{202f}»"),
                1,
            ));
            continue;
        }
        let code_offset = offsets.codes.get(&k).copied();
        let code = match feature.get("properties").and_then(|p| p.get("code")) {
            Some(Value::String(code)) => code.clone(),
            Some(other) => {
                d.push(
                    error_at(
                        code_offset.unwrap_or(start),
                        "geojson",
                        format!("code INSEE {other} de l’élément n°\u{a0}{number}\u{a0}: une chaîne entre guillemets est attendue"),
                        other.to_string().chars().count(),
                    )
                    .expected("\"code\": \"84007\""),
                );
                continue;
            }
            None => {
                d.push(
                    error_at(
                        start,
                        "geojson",
                        format!("l’élément n°\u{a0}{number} n’a pas de propriété «\u{202f}code\u{202f}» (code INSEE de la commune)"),
                        1,
                    )
                    .expected("\"properties\": {\"code\": \"84007\"}"),
                );
                continue;
            }
        };
        let polygons = match feature.get("geometry") {
            Some(g) if !g.is_null() => match geometry(g) {
                Ok(polygons) => polygons,
                Err(message) => {
                    d.push(error_at(
                        start,
                        "geojson",
                        format!(
                            "contour de {} (élément n°\u{a0}{number})\u{a0}: {message}",
                            quoted(&code)
                        ),
                        1,
                    ));
                    continue;
                }
            },
            _ => {
                d.push(error_at(
                    start,
                    "geojson",
                    format!(
                        "l’élément n°\u{a0}{number} ({}) n’a pas de géométrie",
                        quoted(&code)
                    ),
                    1,
                ));
                continue;
            }
        };
        if !by_insee.contains_key(code.as_str()) {
            unknown.push((code, code_offset.unwrap_or(start)));
            continue;
        }
        if let Some(first) = first_feature.get(&code) {
            d.push(
                error_at(
                    code_offset.unwrap_or(start),
                    "geojson",
                    format!(
                        "le code INSEE {} est déjà celui de l’élément n°\u{a0}{first}",
                        quoted(&code)
                    ),
                    code.chars().count() + 2,
                )
                .hint(
                    "une commune par élément\u{a0}: réunissez ses polygones dans un MultiPolygon",
                ),
            );
            continue;
        }
        first_feature.insert(code.clone(), number);
        outlines.communes.insert(code, polygons);
    }
    let known: Vec<&str> = cities.iter().map(|c| c.insee.as_str()).collect();
    for (code, offset) in unknown.iter().take(MAX_LISTED) {
        let mut diagnostic = error_at(
            *offset,
            "geojson-code-inconnu",
            format!(
                "code INSEE inconnu {}\u{a0}: aucune fiche de content/villes/ n’a ce code",
                quoted(code)
            ),
            code.chars().count() + 2,
        )
        .expected("le code INSEE («\u{202f}insee\u{202f}») d’une commune de l’atlas");
        if let Some(candidate) = closest(code, known.iter().copied()) {
            diagnostic = diagnostic.hint(crate::diagnostic::did_you_mean(candidate));
        }
        d.push(diagnostic);
    }
    if unknown.len() > MAX_LISTED {
        d.push(
            Diagnostic::error(
                "geojson-code-inconnu",
                display.to_string(),
                format!(
                    "… et {} autres codes INSEE inconnus",
                    unknown.len() - MAX_LISTED
                ),
            )
            .hint("gardez dans le fichier les seules communes de l’atlas"),
        );
    }
    let missing: Vec<&City> = cities
        .iter()
        .filter(|c| !outlines.communes.contains_key(&c.insee))
        .collect();
    for city in missing.iter().take(MAX_LISTED) {
        d.push(
            Diagnostic::warning(
                "contour-manquant",
                display.to_string(),
                format!(
                    "la commune {} ({}) n’a pas de contour\u{a0}: elle sera marquée par un point{}",
                    city.nom,
                    city.insee,
                    if city.coordonnees.is_some() {
                        ""
                    } else {
                        " si sa fiche donne ses coordonnées"
                    }
                ),
            )
            .hint(format!(
                "ajoutez un élément dont la propriété «\u{202f}code\u{202f}» vaut \"{}\"",
                city.insee
            )),
        );
    }
    if missing.len() > MAX_LISTED {
        d.push(Diagnostic::warning(
            "contour-manquant",
            display.to_string(),
            format!(
                "… et {} autres communes sans contour",
                missing.len() - MAX_LISTED
            ),
        ));
    }
    Some(outlines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambert93_constants_match_the_ign_values() {
        // IGN, « Projection cartographique conique conforme de Lambert » (NT/G 71) and the
        // constants it publishes for Lambert-93: n = 0.725 607 765 0, C = 11 754 255.426 m,
        // Ys = 12 655 612.050 m.
        let l = Lambert::lambert93();
        assert!((l.n - 0.725_607_765_053_267).abs() < 1e-12, "n = {}", l.n);
        assert!((l.c - 11_754_255.426_096).abs() < 1e-3, "C = {}", l.c);
        assert!((l.ys - 12_655_612.049_9).abs() < 1e-3, "Ys = {}", l.ys);
    }

    #[test]
    fn lambert93_projects_known_points() {
        let l = Lambert::lambert93();
        // The origin of the projection.
        let (x, y) = l.project(46.5, 3.0);
        assert!((x - 700_000.0).abs() < 1e-6 && (y - 6_600_000.0).abs() < 1e-6);
        // 20 avenue de Ségur, Paris: the example of @etalab/project-legal (Etalab's
        // reference library for the legal projections), 649 242.57, 6 861 355.85.
        let (x, y) = l.project(48.850244, 2.308310);
        assert!((x - 649_242.57).abs() < 0.05, "x = {x}");
        assert!((y - 6_861_355.85).abs() < 0.05, "y = {y}");
        // The Eiffel Tower (48.8584° N, 2.2945° E): 648 237 m, 6 862 272 m, the worked example
        // of gpsfrance.net's converter, to the metre. (The brief's « Notre-Dame, 48.8530° N
        // 2.3498° E ≈ 652 469, 6 861 870 » is some 300 m away from that position: the
        // position projects to 652 290, 6 861 636, consistent with both references here.)
        let (x, y) = l.project(48.8584, 2.2945);
        assert!((x - 648_237.0).abs() < 1.0, "x = {x}");
        assert!((y - 6_862_272.0).abs() < 1.0, "y = {y}");
        // East is +x, north is +y.
        let avignon = l.project(43.9354, 4.84094);
        let carpentras = l.project(44.05935, 5.06147);
        assert!(avignon.0 < carpentras.0 && avignon.1 < carpentras.1);
    }

    #[test]
    fn hull_and_buffer() {
        let points = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.5, 0.5)];
        let hull = convex_hull(&points);
        assert_eq!(hull.len(), 4);
        assert!(area_centroid(&hull).0 > 0.0, "counter-clockwise");
        let grown = buffered_hull(&points, 0.1);
        let (area, centre) = area_centroid(&grown);
        assert!(area > 1.3 && area < 1.45, "{area}");
        assert!((centre.0 - 0.5).abs() < 1e-9 && (centre.1 - 0.5).abs() < 1e-9);
        assert_eq!(convex_hull(&[(1.0, 1.0), (1.0, 1.0)]), vec![(1.0, 1.0)]);
    }

    #[test]
    fn voronoi_cells_partition_the_region() {
        let sites = [(1.0, 1.0), (3.0, 1.0), (1.0, 3.0), (3.0, 3.0), (2.0, 2.0)];
        let region = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)];
        let cells = voronoi_cells(&sites, &region);
        let total: f64 = cells.iter().map(|c| area_centroid(&c.polygon).0).sum();
        assert!(
            (total - 16.0).abs() < 1e-9,
            "cells cover the region: {total}"
        );
        for (i, cell) in cells.iter().enumerate() {
            // Every vertex is at least as close to its own site as to any other.
            for v in &cell.polygon {
                let own = distance(*v, sites[i]);
                for s in &sites {
                    assert!(own <= distance(*v, *s) + 1e-9);
                }
            }
        }
        // The centre cell is the diamond between the four others, all its edges inner.
        assert_eq!(cells[4].polygon.len(), 4);
        assert!(cells[4].neighbours.iter().all(Option::is_some));
        let mut around: Vec<usize> = cells[4].neighbours.iter().flatten().copied().collect();
        around.sort();
        assert_eq!(around, vec![0, 1, 2, 3]);
        // A corner cell touches the outer boundary.
        assert!(cells[0].neighbours.contains(&None));
    }

    #[test]
    fn voronoi_of_one_or_two_sites_and_duplicates() {
        let region = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)];
        let one = voronoi_cells(&[(1.0, 1.0)], &region);
        assert_eq!(one[0].polygon.len(), 4);
        let two = voronoi_cells(&[(0.5, 1.0), (1.5, 1.0)], &region);
        assert!((area_centroid(&two[0].polygon).0 - 2.0).abs() < 1e-9);
        let same = voronoi_cells(&[(1.0, 1.0), (1.0, 1.0)], &region);
        assert_eq!(same[0], same[1]);
    }

    #[test]
    fn simplification_keeps_corners_and_drops_near_collinear_points() {
        let line = [(0.0, 0.0), (1.0, 0.01), (2.0, 0.0), (2.0, 2.0)];
        assert_eq!(
            simplify(&line, 0.1),
            vec![(0.0, 0.0), (2.0, 0.0), (2.0, 2.0)]
        );
        assert_eq!(simplify(&line, 0.001).len(), 4);
    }

    #[test]
    fn offsets_find_features_and_codes() {
        let text = "{\"type\": \"FeatureCollection\",\n \"features\": [\n  {\"type\": \"Feature\", \"properties\": {\"nom\": \"a\", \"code\": \"84007\"}, \"geometry\": {\"type\": \"Polygon\", \"coordinates\": [[[1,2],[3,4],[5,6]]]}},\n  {\"type\": \"Feature\", \"properties\": {\"code\": \"84031\"}, \"geometry\": null}\n ]}";
        let o = offsets(text);
        assert_eq!(o.features.len(), 2);
        assert_eq!(line_column(text, o.features[0]), (3, 3));
        assert_eq!(line_column(text, o.features[1]), (4, 3));
        assert_eq!(&text[o.codes[&0]..o.codes[&0] + 7], "\"84007\"");
        assert_eq!(line_column(text, o.codes[&1]).0, 4);
    }
}

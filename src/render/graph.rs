//! The graph of cities linked by shared strategies, drawn at build time as a static SVG: a
//! circular layout (deterministic, no physics to converge), cities of one intercommunality
//! side by side, edges as thick as the number of strategies shared, every node a link.

use std::f64::consts::PI;
use std::fmt::Write;

use crate::analyse::CityLink;
use crate::resolve::Site;

const SIZE: f64 = 1000.0;
const RADIUS: f64 = 300.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Position of node `i` of `n` on the circle, starting at the top, clockwise.
fn position(i: usize, n: usize) -> (f64, f64, f64) {
    let angle = -PI / 2.0 + 2.0 * PI * i as f64 / n.max(1) as f64;
    (
        SIZE / 2.0 + RADIUS * angle.cos(),
        SIZE / 2.0 + RADIUS * angle.sin(),
        angle,
    )
}

/// The SVG markup. `nodes` are city indexes in drawing order; `links` the links to draw.
pub fn circular_graph_svg(
    site: &Site,
    nodes: &[usize],
    links: &[&CityLink],
    base_path: &str,
) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"graphe\" viewBox=\"0 0 {SIZE} {SIZE}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"group\" aria-labelledby=\"graphe-titre\">\
<title id=\"graphe-titre\">Graphe des villes liées par des stratégies communes</title>"
    );
    if nodes.is_empty() {
        svg.push_str("</svg>");
        return svg;
    }
    let slot = |city: usize| nodes.iter().position(|&c| c == city);
    let mut ordered: Vec<&&CityLink> = links.iter().collect();
    // Lightest edges first, so that strong links are drawn on top.
    ordered.sort_by_key(|l| (l.strategies.len(), l.a, l.b));
    svg.push_str("<g class=\"graphe-aretes\">");
    for link in ordered {
        let (Some(i), Some(j)) = (slot(link.a), slot(link.b)) else {
            continue;
        };
        let (x1, y1, _) = position(i, nodes.len());
        let (x2, y2, _) = position(j, nodes.len());
        let shared = link.strategies.len();
        let width = (1.0 + 1.5 * (shared as f64 - 1.0)).min(9.0);
        let _ = write!(
            svg,
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke-width=\"{width:.1}\" class=\"graphe-arete graphe-arete-{}\"><title>{} – {}\u{a0}: {} stratégie{} commune{}</title></line>",
            shared.min(5),
            escape(&site.cities[link.a].nom),
            escape(&site.cities[link.b].nom),
            shared,
            if shared > 1 { "s" } else { "" },
            if shared > 1 { "s" } else { "" },
        );
    }
    svg.push_str("</g><g class=\"graphe-noeuds\">");
    for (i, &city) in nodes.iter().enumerate() {
        let (x, y, angle) = position(i, nodes.len());
        let degree = links.iter().filter(|l| l.a == city || l.b == city).count();
        let radius = 5.0 + (degree as f64).sqrt() * 1.5;
        let (lx, ly) = (
            SIZE / 2.0 + (RADIUS + radius + 8.0) * angle.cos(),
            SIZE / 2.0 + (RADIUS + radius + 8.0) * angle.sin(),
        );
        let anchor = if angle.cos() > 0.15 {
            "start"
        } else if angle.cos() < -0.15 {
            "end"
        } else {
            "middle"
        };
        let dy = if angle.sin() > 0.9 {
            "0.9em"
        } else if angle.sin() < -0.9 {
            "-0.3em"
        } else {
            "0.35em"
        };
        let name = escape(&site.cities[city].nom);
        let _ = write!(
            svg,
            "<a href=\"{base_path}villes/{}/\" class=\"graphe-noeud\"><title>{name}\u{a0}: liée à {degree} ville{} par des stratégies communes</title>\
<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{radius:.1}\"/><text x=\"{lx:.1}\" y=\"{ly:.1}\" dy=\"{dy}\" text-anchor=\"{anchor}\">{name}</text></a>",
            site.cities[city].slug,
            if degree > 1 { "s" } else { "" },
        );
    }
    svg.push_str("</g></svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::tests::{city, site};

    fn link(a: usize, b: usize, strategies: Vec<usize>) -> CityLink {
        CityLink {
            a,
            b,
            score: 1.0,
            strategies,
            publics: vec![],
            channels: vec![],
            epci: None,
            cases: vec![],
        }
    }

    #[test]
    fn every_node_is_a_link_and_edges_are_weighted() {
        let s = site(
            vec![
                city("a", None, &[], &[], None),
                city("b", None, &[], &[], None),
                city("c&d", None, &[], &[], None),
            ],
            vec![],
            &[],
            0,
            0,
        );
        let l1 = link(0, 1, vec![0, 1, 2]);
        let l2 = link(1, 2, vec![0]);
        let svg = circular_graph_svg(&s, &[0, 1, 2], &[&l1, &l2], "/atlas/");
        assert_eq!(svg.matches("<a href=\"/atlas/villes/").count(), 3);
        assert!(svg.contains("href=\"/atlas/villes/c&d/\"") || svg.contains("C&amp;D"));
        assert!(
            svg.contains("stroke-width=\"4.0\""),
            "3 shared strategies: width 4"
        );
        assert!(svg.contains("stroke-width=\"1.0\""));
        // The first node sits at the top of the circle.
        assert!(svg.contains("cx=\"500.0\" cy=\"200.0\""));
        assert_eq!(
            svg,
            circular_graph_svg(&s, &[0, 1, 2], &[&l1, &l2], "/atlas/"),
            "deterministic"
        );
    }
}

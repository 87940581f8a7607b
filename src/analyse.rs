//! Stage 3, **analyse**: pure functions from the resolved [`Site`] to the indexes the pages
//! need (which cities use a strategy, which case studies concern a city…).
//!
//! Every index is built by one pass over the cities and one over the case studies (inverted
//! indexes), so the cost grows linearly with the content. No I/O happens here.

use crate::resolve::Site;

/// Inverted indexes: for each taxonomy term, city or intercommunality, the cities and case
/// studies attached to it, as indexes into `Site::cities` and `Site::cases`, in ascending order.
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
}

pub fn analyse(site: &Site) -> Indexes {
    let mut ix = Indexes {
        cities_by_strategy: vec![Vec::new(); site.strategies.len()],
        cases_by_strategy: vec![Vec::new(); site.strategies.len()],
        cities_by_channel: vec![Vec::new(); site.channels.len()],
        cases_by_channel: vec![Vec::new(); site.channels.len()],
        cities_by_public: vec![Vec::new(); site.publics.len()],
        cases_by_public: vec![Vec::new(); site.publics.len()],
        cities_by_epci: vec![Vec::new(); site.epcis.len()],
        cases_by_epci: vec![Vec::new(); site.epcis.len()],
        cases_by_city: vec![Vec::new(); site.cities.len()],
    };
    for (city_index, city) in site.cities.iter().enumerate() {
        for fact in &city.strategies {
            ix.cities_by_strategy[fact.term].push(city_index);
        }
        for fact in &city.channels {
            ix.cities_by_channel[fact.term].push(city_index);
        }
        for fact in &city.publics {
            ix.cities_by_public[fact.term].push(city_index);
        }
        if let Some(epci) = city.epci {
            ix.cities_by_epci[epci].push(city_index);
        }
    }
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
    ix
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::Lever;
    use crate::resolve::{Case, City, Config, Epci, Strategy, Term, TermFact};
    use std::sync::Arc;

    pub fn fact(term: usize) -> TermFact {
        TermFact { term, detail: None, url: None, audience: Vec::new(), sources: Vec::new() }
    }

    pub fn city(slug: &str, epci: Option<usize>, strategies: &[usize]) -> City {
        City {
            slug: slug.to_string(),
            nom: slug.to_string(),
            insee: "84000".to_string(),
            population: None,
            population_annee: None,
            epci,
            coordonnees: None,
            site_web: None,
            complete: true,
            identity_sources: Vec::new(),
            brands: Vec::new(),
            publics: Vec::new(),
            strategies: strategies.iter().map(|&s| fact(s)).collect(),
            channels: Vec::new(),
            labels: Vec::new(),
            events: Vec::new(),
            sources: Vec::new(),
            file: String::new(),
        }
    }

    pub fn case(slug: &str, cities: &[usize], strategies: &[usize]) -> Case {
        Case {
            slug: slug.to_string(),
            titre: slug.to_string(),
            resume: String::new(),
            cities: cities.to_vec(),
            strategies: strategies.to_vec(),
            channels: Vec::new(),
            publics: Vec::new(),
            date: "2020-01-01".to_string(),
            draft: false,
            sources: Vec::new(),
            body: String::new(),
            body_line: 1,
            file: String::new(),
            text: Arc::from(""),
        }
    }

    pub fn site(cities: Vec<City>, cases: Vec<Case>, strategies: usize, epcis: usize) -> Site {
        Site {
            config: Config {
                titre: "t".into(),
                description: "d".into(),
                base_url: "https://ex.org/".into(),
                base_path: "/".into(),
                langue: "fr".into(),
                theme: "default".into(),
                minifier: false,
                editeur: None,
                introduction: None,
            },
            cities,
            cases,
            strategies: (0..strategies)
                .map(|i| Strategy { slug: format!("s{i}"), nom: format!("S{i}"), levier: Lever::Image, definition: String::new(), sources: Vec::new() })
                .collect(),
            channels: Vec::<Term>::new(),
            publics: Vec::<Term>::new(),
            epcis: (0..epcis)
                .map(|i| Epci { slug: format!("e{i}"), code: String::new(), nom: format!("E{i}"), nature: None, membres: Vec::new(), sources: Vec::new() })
                .collect(),
        }
    }

    #[test]
    fn indexes_invert_cities_and_cases() {
        let s = site(
            vec![city("a", Some(0), &[0, 1]), city("b", Some(0), &[1]), city("c", None, &[])],
            vec![case("x", &[0, 1], &[1]), case("y", &[2], &[0])],
            2,
            1,
        );
        let ix = analyse(&s);
        assert_eq!(ix.cities_by_strategy, vec![vec![0], vec![0, 1]]);
        assert_eq!(ix.cases_by_strategy, vec![vec![1], vec![0]]);
        assert_eq!(ix.cities_by_epci, vec![vec![0, 1]]);
        assert_eq!(ix.cases_by_epci, vec![vec![0]]);
        assert_eq!(ix.cases_by_city, vec![vec![0], vec![0], vec![1]]);
    }
}

//! Actors (`content/acteurs/`): their pages, the cities they serve, the link back from each
//! city page, and the errors of an actor card.

mod common;

use common::*;

#[test]
fn an_actor_page_lists_the_cities_it_serves_and_cities_link_back() {
    let site = fixture("mini");
    let output = run(&["build"], site.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let public = site.path().join("public");
    let html = read(&public.join("acteurs/office-grand-avignon/index.html"));
    let served = hrefs(&html);
    assert!(served.contains(&"/villes/avignon/".to_string()));
    assert!(served.contains(&"/villes/le-pontet/".to_string()));
    assert!(
        !served.contains(&"/villes/carpentras/".to_string()),
        "Carpentras is not in the Grand Avignon"
    );
    assert!(served.contains(&"/strategies/marque-touristique/".to_string()));
    assert!(html.contains("Office de tourisme"));
    let list = read(&public.join("acteurs/index.html"));
    assert!(hrefs(&list).contains(&"/acteurs/office-grand-avignon/".to_string()));
    for (city, linked) in [
        ("avignon", true),
        ("le-pontet", true),
        ("carpentras", false),
    ] {
        let page = read(&public.join(format!("villes/{city}/index.html")));
        assert_eq!(
            hrefs(&page).contains(&"/acteurs/office-grand-avignon/".to_string()),
            linked,
            "{city}"
        );
    }
}

#[test]
fn actor_errors_name_the_file_and_the_closest_slug() {
    let site = fixture("mini");
    let path = site
        .path()
        .join("content/acteurs/office-grand-avignon.yaml");
    std::fs::write(
        &path,
        read(&path).replace("[ca-du-grand-avignon-coga]", "[ca-du-grand-avignon]"),
    )
    .unwrap();
    let output = run(&["check"], site.path());
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("content/acteurs/office-grand-avignon.yaml:4:21 : intercommunalité inconnue «\u{202f}ca-du-grand-avignon\u{202f}» — vouliez-vous dire «\u{202f}ca-du-grand-avignon-coga\u{202f}»\u{202f}?"),
        "{err}"
    );
    assert!(
        err.contains("l’acteur ne sert aucune ville de l’atlas"),
        "{err}"
    );
}

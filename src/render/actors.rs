//! Pages of the actors that serve cities without being one (the department's agency, the
//! region, destination brands, tourist offices), and their mention on city pages.

use super::values::context::{IntoContext, Value, set};

use super::{Ctx, Page};
use crate::markdown::typography;
use crate::model::Lever;
use crate::resolve::Actor;

impl Ctx<'_> {
    pub(super) fn actor_link(&self, index: usize) -> Value {
        let actor = &self.site.actors[index];
        object!({
            "nom": typography(&actor.nom),
            "url": self.url(&format!("acteurs/{}/", actor.slug)),
            "type": actor.kind.label(),
        })
    }

    /// The actors that serve `city`.
    pub(super) fn actors_of_city(&self, city: usize) -> Vec<Value> {
        (0..self.site.actors.len())
            .filter(|&a| self.site.actors[a].cities.binary_search(&city).is_ok())
            .map(|a| self.actor_link(a))
            .collect()
    }

    fn actor_summary(&self, index: usize) -> Value {
        let actor = &self.site.actors[index];
        let mut value = self.actor_link(index);
        set(
            &mut value,
            [
                ("description", typography(&actor.description).into_context()),
                ("nb_villes", actor.cities.len().into_context()),
                ("tout_le_territoire", actor.whole_territory.into_context()),
            ],
        );
        value
    }

    pub(super) fn actor_pages(&self) -> Vec<Page<'_>> {
        let site = self.site;
        let mut pages = vec![Page {
            later: None,
            search: None,
            case: None,
            url: "acteurs/".into(),
            output: "acteurs/index.html".into(),
            template: "acteurs.html",
            context: object!({
                "page": self.page("acteurs/", "Acteurs", "Les acteurs qui portent l’attractivité des villes sans en être une : région, département, agence d’attractivité, marques de destination, offices de tourisme.", "acteurs", Vec::new()),
                "acteurs": (0..site.actors.len()).map(|a| self.actor_summary(a)).collect::<Vec<_>>(),
            }),
        }];
        for (index, actor) in site.actors.iter().enumerate() {
            pages.push(self.actor_page(index, actor));
        }
        pages
    }

    fn actor_page(&self, index: usize, actor: &Actor) -> Page<'_> {
        let url = format!("acteurs/{}/", actor.slug);
        let mut levers = Vec::new();
        for lever in Lever::ALL {
            let facts: Vec<_> = actor
                .strategies
                .iter()
                .filter(|f| self.site.strategies[f.term].levier == lever)
                .cloned()
                .collect();
            if !facts.is_empty() {
                levers.push(object!({
                    "slug": lever.slug(),
                    "nom": lever.label(),
                    "strategies": self.term_facts(&facts, |s| self.strategy_link(s)),
                }));
            }
        }
        let cities = self.by_name(actor.cities.clone());
        Page {
            later: None,
            search: None,
            case: None,
            url: url.clone(),
            output: format!("{url}index.html"),
            template: "acteur.html",
            context: object!({
                "page": self.page(&url, &actor.nom, &actor.description, "acteurs", vec![self.crumb("Acteurs", "acteurs/")]),
                "acteur": {
                    "nom": typography(&actor.nom),
                    "type": actor.kind.label(),
                    "description": typography(&actor.description),
                    "site_web": actor.site_web.clone(),
                    "tout_le_territoire": actor.whole_territory,
                    "intercommunalites": actor.epcis.iter().map(|&e| self.epci_link(e)).collect::<Vec<_>>(),
                    "marques": self.named_facts(&actor.brands),
                    "publics": self.term_facts(&actor.publics, |p| self.public_link(p)),
                    "leviers": levers,
                    "canaux": self.term_facts(&actor.channels, |c| self.channel_link(c)),
                    "labels": self.named_facts(&actor.labels),
                    "evenements": self.named_facts(&actor.events),
                    "sources": self.sources(&actor.sources),
                },
                "villes": cities.iter().map(|&c| self.city_link(c)).collect::<Vec<_>>(),
                "index": index,
            }),
        }
    }
}

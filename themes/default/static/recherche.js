// Recherche de l’atlas : interface de la page « Rechercher » sur l’API JavaScript de Pagefind
// (pagefind/pagefind.js, construit avec le site). Amélioration progressive : sans JavaScript,
// le formulaire reste caché et la page propose de parcourir l’atlas par ses listes.
(function () {
  "use strict";
  var form = document.getElementById("recherche");
  if (!form) return;
  var input = form.elements.q;
  var typeSelect = form.elements.type;
  var status = document.getElementById("recherche-statut");
  var list = document.getElementById("recherche-resultats");
  var more = document.getElementById("recherche-plus");
  var PAR_PAGE = 8;
  var pagefind = null;
  var loading = null;
  var generation = 0;
  var pending = [];
  var shown = 0;
  var timer = null;

  function load() {
    if (!loading) {
      loading = import(form.getAttribute("data-pagefind")).then(function (module) {
        pagefind = module;
        // noWorker : la recherche tourne dans la page (le bundle ne contient pas le worker de
        // Pagefind, 43 ko de moins à la première recherche).
        // Un grand atlas a plusieurs index, construits en parallèle : ils sont fusionnés ici
        // (recherche multisite de Pagefind).
        var merged = (form.getAttribute("data-pagefind-fusion") || "").split(" ").filter(Boolean);
        return module
          .options({ noWorker: true, excerptLength: 26 })
          .then(function () {
            return Promise.all(
              merged.map(function (path) {
                return module.mergeIndex(path);
              })
            );
          })
          .then(function () {
            return module;
          });
      });
    }
    return loading;
  }

  // Le texte des extraits arrive échappé, avec des <mark> autour des mots trouvés : on ne garde
  // que ces balises, le reste devient du texte.
  function decode(text) {
    var area = document.createElement("textarea");
    area.innerHTML = text;
    return area.value;
  }

  function excerpt(html) {
    var p = document.createElement("p");
    p.className = "resultat__extrait";
    html.split(/(<mark>|<\/mark>)/).reduce(function (inMark, part) {
      if (part === "<mark>") return true;
      if (part === "</mark>") return false;
      if (part) {
        var node = document.createTextNode(decode(part));
        if (inMark) {
          var mark = document.createElement("mark");
          mark.appendChild(node);
          p.appendChild(mark);
        } else {
          p.appendChild(node);
        }
      }
      return inMark;
    }, false);
    return p;
  }

  function item(data) {
    var li = document.createElement("li");
    li.className = "resultat";
    var type = (data.meta && data.meta.type) || (data.filters && data.filters.type && data.filters.type[0]);
    if (type) {
      var badge = document.createElement("p");
      badge.className = "resultat__type";
      var span = document.createElement("span");
      span.className = "badge";
      span.textContent = decode(type);
      badge.appendChild(span);
      li.appendChild(badge);
    }
    var title = document.createElement("h2");
    title.className = "resultat__titre";
    var link = document.createElement("a");
    link.href = data.url;
    link.textContent = decode((data.meta && data.meta.title) || data.url);
    title.appendChild(link);
    li.appendChild(title);
    if (data.excerpt) li.appendChild(excerpt(data.excerpt));
    return li;
  }

  function plural(n, one, many) {
    return n + "\u00a0" + (n > 1 ? many : one);
  }

  function say(text) {
    status.textContent = text;
  }

  function showMore(current) {
    var batch = pending.slice(shown, shown + PAR_PAGE);
    return Promise.all(batch.map(function (r) { return r.data(); })).then(function (results) {
      if (current !== generation) return;
      var first = null;
      results.forEach(function (data) {
        var li = item(data);
        if (!first) first = li;
        list.appendChild(li);
      });
      shown += results.length;
      more.hidden = shown >= pending.length;
      return first;
    });
  }

  function search() {
    var query = input.value.trim();
    var type = typeSelect.value;
    var current = ++generation;
    if (!query) {
      list.replaceChildren();
      list.hidden = true;
      more.hidden = true;
      say("");
      return;
    }
    load()
      .then(function (pf) {
        var options = type ? { filters: { type: type } } : {};
        return pf.search(query, options);
      })
      .then(function (response) {
        if (current !== generation || !response) return;
        pending = response.results;
        shown = 0;
        list.replaceChildren();
        return showMore(current).then(function () {
          if (current !== generation) return;
          list.hidden = pending.length === 0;
          var where = type ? " (" + type.toLowerCase() + ")" : "";
          if (pending.length === 0) {
            say("Aucun résultat pour «\u202f" + query + "\u202f»" + where + ". Essayez un autre mot, ou parcourez l’atlas par les listes ci-dessous.");
          } else {
            say(plural(pending.length, "résultat", "résultats") + " pour «\u202f" + query + "\u202f»" + where + ".");
          }
        });
      })
      .catch(function () {
        if (current !== generation) return;
        say("La recherche n’a pas pu se charger. Parcourez l’atlas par les listes ci-dessous.");
      });
  }

  // L’adresse garde la recherche (?q=…&type=…) : on peut la partager ou y revenir.
  function remember() {
    var params = new URLSearchParams();
    if (input.value.trim()) params.set("q", input.value.trim());
    if (typeSelect.value) params.set("type", typeSelect.value);
    var text = params.toString();
    history.replaceState(null, "", location.pathname + (text ? "?" + text : ""));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    remember();
    search();
  });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      remember();
      search();
    }, 300);
  });
  typeSelect.addEventListener("change", function () {
    remember();
    search();
  });
  more.addEventListener("click", function () {
    var current = generation;
    showMore(current).then(function (first) {
      // Le focus passe au premier nouveau résultat, pour continuer la lecture au clavier.
      var link = first && first.querySelector("a");
      if (link) link.focus();
      say(plural(shown, "résultat affiché", "résultats affichés") + " sur " + pending.length + ".");
    });
  });

  var params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  var wanted = params.get("type");
  if (wanted && Array.prototype.some.call(typeSelect.options, function (o) { return o.value === wanted; })) {
    typeSelect.value = wanted;
  }
  form.hidden = false;
  if (input.value) search();
})();

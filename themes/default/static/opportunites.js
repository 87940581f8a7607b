// Filtre dynamique de la page « Opportunités » : amélioration progressive de la page
// statique (sans JavaScript, les pages par type et par ville font le même travail).
(function () {
  "use strict";
  var form = document.getElementById("filtre-opportunites");
  if (!form) return;
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-opportunite]"));
  var status = document.getElementById("filtre-statut");
  function words(value) {
    return (value || "").split(" ").filter(Boolean);
  }
  function apply() {
    var type = form.elements.type.value;
    var ville = form.elements.ville.value;
    var strategie = form.elements.strategie.value;
    var shown = 0;
    items.forEach(function (item) {
      var ok = (!type || item.getAttribute("data-type") === type) &&
        (!ville || words(item.getAttribute("data-villes")).indexOf(ville) !== -1) &&
        (!strategie || words(item.getAttribute("data-strategies")).indexOf(strategie) !== -1);
      item.hidden = !ok;
      if (ok) shown += 1;
    });
    status.textContent = shown + (shown > 1 ? " opportunités affichées" : " opportunité affichée") + " sur " + items.length + ".";
  }
  form.hidden = false;
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    apply();
  });
  apply();
})();

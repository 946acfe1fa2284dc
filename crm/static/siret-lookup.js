// The SIRET lookup without a page reload: "Rechercher" asks the back office's JSON endpoint and fills the form.
// Without script, the same button posts the form and the server fills it (crm.partners.views).
(function () {
  var form = document.querySelector("form[data-directory-url]");
  if (!form) return;
  var button = form.querySelector("button.directory-lookup");
  var status = document.getElementById("directory-status");
  if (!button || !status) return;
  var fields = ["siret", "name", "address", "postal_code", "commune", "naf_code", "headcount_band"];
  button.addEventListener("click", function (event) {
    event.preventDefault();
    var number = form.elements.siret.value;
    status.textContent = "Recherche en cours…";
    fetch(form.dataset.directoryUrl + "?numero=" + encodeURIComponent(number), {headers: {Accept: "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (!answer.ok) { status.textContent = answer.message; return; }
        fields.forEach(function (name) {
          var value = answer.organisation[name];
          if (value && form.elements[name]) form.elements[name].value = value;
        });
        status.textContent = "Fiche complétée depuis le répertoire des entreprises : vérifiez puis enregistrez.";
      })
      .catch(function () { status.textContent = "La recherche n'a pas abouti : remplissez la fiche à la main."; });
  });
})();

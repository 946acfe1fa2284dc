// Live count of a segment, and the first people matching, while its form is edited: GET the count endpoint with
// the form's criteria (each checked value repeated). Without JavaScript the "Compter" button does the same.
(() => {
  const form = document.querySelector("form[data-live-count]");
  if (!form) return;
  const output = form.querySelector("[data-count]");
  const detail = form.querySelector("[data-count-detail]");
  const preview = form.querySelector("[data-preview]");
  const showPreview = (people) => {
    const items = people.length ? people.map((p) => (p.organisation ? `${p.name} — ${p.organisation}` : p.name))
      : [preview.dataset.none];
    preview.replaceChildren(...items.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
  };
  let timer = null;
  const refresh = async () => {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (name !== "csrf_token" && name !== "name" && name !== "description" && value) params.append(name, value);
    }
    try {
      const response = await fetch(`${form.dataset.liveCount}?${params}`, { headers: { Accept: "application/json" } });
      const data = await response.json();
      if (response.ok) {
        output.textContent = data.count;
        const left = Object.entries(data.left_out || {}).map(([reason, count]) => ` ; ${count} ${reason}`).join("");
        detail.textContent = `dont ${data.reached} joignable(s) par la lettre${left}`;
        showPreview(data.preview || []);
      } else {
        output.textContent = "—";
        detail.textContent = data.error || "";
      }
    } catch (error) {
      detail.textContent = "Décompte indisponible.";
    }
  };
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 300); });
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(refresh, 100); });
  refresh();
})();

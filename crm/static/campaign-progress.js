// Live progress of a campaign: polls the JSON endpoint while the campaign is scheduled, sending or paused.
(() => {
  const section = document.querySelector("[data-progress-url]");
  if (!section) return;
  const active = new Set(["scheduled", "sending", "paused"]);
  if (!active.has(section.dataset.status)) return;
  const set = (selector, value) => {
    const element = section.querySelector(selector);
    if (element) element.textContent = value;
  };
  const update = (data) => {
    section.querySelector("[data-progress-bar]").value = data.percent;
    set("[data-progress-percent]", data.percent);
    set("[data-progress-done]", data.done);
    set("[data-progress-total]", data.total);
    set("[data-unsubscribed]", data.unsubscribed_since);
    for (const [status, count] of Object.entries(data.counts)) set(`[data-count="${status}"]`, count);
    const label = document.querySelector("[data-status-label]");
    if (label) label.textContent = data.status_label;
    const list = section.querySelector("[data-progress-errors]");
    list.replaceChildren(...(data.errors.length ? data.errors : [{ error: "Aucune." }]).map((item) => {
      const li = document.createElement("li");
      li.textContent = item.error;
      return li;
    }));
  };
  const poll = async () => {
    try {
      const response = await fetch(section.dataset.progressUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        update(data);
        if (!active.has(data.status)) return;
      }
    } catch (error) { /* network hiccup: try again */ }
    setTimeout(poll, 3000);
  };
  setTimeout(poll, 1000);
})();

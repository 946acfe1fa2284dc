// Live progress of a campaign: polls the JSON endpoint while the campaign is scheduled, sending or paused, and
// sends pause / resume / cancel without reloading the page (without JavaScript those buttons post their form).
(() => {
  const section = document.querySelector("[data-progress-url]");
  if (!section) return;
  const active = new Set(["scheduled", "sending", "paused"]);
  let status = section.dataset.status;
  let timer = null;
  const set = (selector, value) => {
    const element = section.querySelector(selector);
    if (element) element.textContent = value;
  };
  const showFor = (current) => {
    for (const element of document.querySelectorAll("[data-when]")) {
      element.hidden = !element.dataset.when.split(" ").includes(current);
    }
  };
  const update = (data) => {
    const bar = section.querySelector("[data-progress-bar]");
    bar.dataset.percent = data.percent;
    bar.setAttribute("aria-valuenow", data.percent);
    bar.setAttribute("aria-valuetext", `${data.percent} %`);
    bar.querySelector(".progress-fill").style.width = `${data.percent}%`;
    set("[data-progress-percent]", data.percent);
    set("[data-progress-done]", data.done);
    set("[data-progress-total]", data.total);
    set("[data-unsubscribed]", data.unsubscribed_since);
    const rate = section.querySelector("[data-progress-rate]");
    rate.textContent = data.rate_per_minute ? `${data.rate_per_minute} ${rate.dataset.unit}` : "—";
    set("[data-progress-eta]", data.estimated_end_label || "—");
    for (const [name, count] of Object.entries(data.counts)) set(`[data-count="${name}"]`, count);
    const label = document.querySelector("[data-status-label]");
    if (label) {
      label.textContent = data.status_label;
      label.className = `tag status-${data.status}`;
    }
    const list = section.querySelector("[data-progress-errors]");
    const errors = data.errors.length ? data.errors.map((item) => item.error) : [list.dataset.none];
    list.replaceChildren(...errors.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
    status = data.status;
    section.dataset.status = status;
    showFor(status);
  };
  const poll = async () => {
    clearTimeout(timer);
    try {
      const response = await fetch(section.dataset.progressUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        update(await response.json());
        if (!active.has(status)) return;
      }
    } catch (error) { /* network hiccup: try again */ }
    timer = setTimeout(poll, 2000);
  };

  const message = document.querySelector("[data-action-message]");
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("[data-live-action]") || event.defaultPrevented) return;
    event.preventDefault();
    try {
      const response = await fetch(form.action, {
        method: "POST", body: new FormData(form), headers: { Accept: "application/json" },
      });
      const data = await response.json();
      if (message) message.textContent = data.message || "";
    } catch (error) {
      form.submit();  // the page answers as without JavaScript
      return;
    }
    poll();
  });

  if (active.has(status)) timer = setTimeout(poll, 1000);
})();

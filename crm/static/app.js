// Confirmation before destructive buttons (progressive: without JavaScript the form still posts).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = button && button.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// The main menu collapses behind its button on narrow screens (progressive: without JavaScript the button stays
// hidden and the menu shown). The button is a disclosure: aria-expanded says whether the list is shown.
(() => {
  const nav = document.querySelector(".main-nav");
  const button = nav && nav.querySelector(".menu-toggle");
  if (!button) return;
  const narrow = window.matchMedia("(max-width: 640px)");
  const set = (open) => button.setAttribute("aria-expanded", open ? "true" : "false");
  nav.classList.add("collapsible");
  set(!narrow.matches);
  narrow.addEventListener("change", () => set(!narrow.matches));
  button.addEventListener("click", () => set(button.getAttribute("aria-expanded") !== "true"));
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && narrow.matches && button.getAttribute("aria-expanded") === "true") {
      set(false);
      button.focus();
    }
  });
})();

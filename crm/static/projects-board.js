// The projects board: a card dragged to another column posts the stage change its own form would post (the
// same URL, fields and CSRF token); the card moves once the server has accepted it, or the refusal is read out.
// Without this script (or without a mouse), each card's form does the same.
(() => {
  const board = document.querySelector("[data-board]");
  if (!board) return;
  const status = document.getElementById("board-status");
  let dragged = null;

  const say = (message, isError) => {
    status.textContent = message;
    status.classList.toggle("error", Boolean(isError));
  };

  const recount = () => {
    for (const column of board.querySelectorAll(".board-column")) {
      column.querySelector("[data-count]").textContent = column.querySelectorAll(".board-card").length;
      const empty = column.querySelector(".empty");
      if (empty) empty.hidden = column.querySelectorAll(".board-card").length > 0;
    }
  };

  const move = async (card, stage) => {
    const form = card.querySelector("form.move-form");
    const select = form.querySelector("select[name=stage]");
    const previous = select.value;
    if (stage === previous) return;
    select.value = stage;
    const data = new FormData(form);
    try {
      const response = await fetch(form.action, {
        method: "POST", body: data, headers: { "X-Requested-With": "fetch", Accept: "application/json" },
        credentials: "same-origin",
      });
      const answer = await response.json();
      if (!response.ok || !answer.ok) {
        select.value = previous;
        say(answer.message || "Le changement d'étape a été refusé.", true);
        return;
      }
      board.querySelector(`.board-column[data-stage="${answer.stage}"] .board-cards`).appendChild(card);
      form.querySelector("input[name=reason]").value = "";
      recount();
      say(answer.message, false);
    } catch (error) {
      select.value = previous;
      say("Le changement d'étape n'a pas pu être envoyé : réessayez.", true);
    }
  };

  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest(".board-card");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.project);
  });
  board.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    for (const column of board.querySelectorAll(".drop-target")) column.classList.remove("drop-target");
  });
  board.addEventListener("dragover", (event) => {
    const column = event.target.closest(".board-column");
    if (!column || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    for (const other of board.querySelectorAll(".drop-target")) if (other !== column) other.classList.remove("drop-target");
    column.classList.add("drop-target");
  });
  board.addEventListener("drop", (event) => {
    const column = event.target.closest(".board-column");
    if (!column || !dragged) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    move(dragged, column.dataset.stage);
  });
  // The card's own form, submitted with the keyboard or a click, goes through the same path (no page reload).
  board.addEventListener("submit", (event) => {
    const form = event.target.closest("form.move-form");
    if (!form) return;
    event.preventDefault();
    const card = form.closest(".board-card");
    const select = form.querySelector("select[name=stage]");
    const wanted = select.value;
    select.value = card.closest(".board-column").dataset.stage;
    move(card, wanted).then(() => select.focus());
  });
})();

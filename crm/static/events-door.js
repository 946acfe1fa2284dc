// Attendance at the door: mark without reloading the page. Without JavaScript the buttons post the form.
document.addEventListener("click", async (event) => {
  const button = event.target.closest(".door-buttons button");
  if (!button) return;
  event.preventDefault();
  const form = button.form;
  const row = form.closest(".door-row");
  const body = new FormData(form);
  body.set("came", button.value);
  row.classList.add("busy");
  try {
    const response = await fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" } });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || "Erreur");
    row.className = "door-row status-" + data.status;
    row.querySelector(".door-status").textContent = data.label;
    document.getElementById("came-count").textContent = data.came;
  } catch (error) {
    form.submit();  // fall back to the plain form post, which shows the message
  } finally {
    row.classList.remove("busy");
  }
});

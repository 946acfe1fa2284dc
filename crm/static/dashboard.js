// The printable dashboard's "Imprimer" button (CSP forbids inline handlers).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

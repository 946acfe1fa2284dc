// The letter editor: TinyMDE (vendor/tiny-markdown-editor) over the form's textarea, a toolbar, a live preview
// rendered by the server's mail renderer in a sandboxed frame, image upload (button, drag and drop), autosave
// of drafts, and a warning before leaving with unsaved changes. Without JavaScript the form is a plain textarea.
(() => {
  const form = document.getElementById("letter-form");
  const textarea = document.getElementById("body_markdown");
  if (!form || !textarea || !window.TinyMDE) return;

  const csrf = form.querySelector("input[name=csrf_token]").value;
  const editor = new window.TinyMDE.Editor({ textarea: textarea });
  const area = editor.e;
  area.setAttribute("role", "textbox");
  area.setAttribute("aria-multiline", "true");
  area.setAttribute("aria-label", document.querySelector("label[for=body_markdown]").textContent.trim());
  area.id = "letter-editor";
  area.classList.add("letter-editor");

  const toolbar = form.querySelector("[data-editor-toolbar]");
  const pane = form.querySelector("[data-preview-pane]");
  const frame = pane.querySelector("[data-preview-frame]");
  const textView = pane.querySelector("[data-preview-text]");
  const warnings = pane.querySelector("[data-preview-warnings]");
  const status = form.querySelector("[data-autosave-status]");
  toolbar.hidden = false;
  pane.hidden = false;
  form.classList.add("with-preview");

  let dirty = false;
  let submitting = false;

  // --- Inserting -------------------------------------------------------------------------------------------
  // Where the caret was when a toolbar button took the focus: what is inserted goes there (at the end before
  // the first click into the text).
  let caret = null;
  editor.addEventListener("selection", (event) => { if (event.focus) caret = event; });
  const insertBlock = (text) => {
    if (caret) {
      editor.paste("\n" + text + "\n", caret.anchor || caret.focus, caret.focus);
    } else {
      editor.setContent(editor.getContent().replace(/\s*$/, "") + "\n\n" + text + "\n");
      changed();
    }
  };
  const actions = {
    heading: () => insertBlock("## Titre de section"),
    bold: () => { editor.wrapSelection("**", "**", caret && caret.anchor, caret && caret.focus); },
    link: () => {
      const url = window.prompt("Adresse du lien (https://…)", "https://");
      if (url) editor.wrapSelection("[", "](" + url + ")", caret && caret.anchor, caret && caret.focus);
    },
    list: () => insertBlock("- premier point\n- deuxième point"),
    image: () => openImageDialog(),
    button: () => {
      const label = window.prompt("Texte du bouton", "En savoir plus");
      if (!label) return;
      const url = window.prompt("Adresse du bouton (https://…)", "https://");
      if (url) insertBlock('{{ bouton "' + label.replace(/"/g, "'") + '" ' + url.trim() + " }}");
    },
    divider: () => insertBlock("---"),
    article: () => insertBlock("::: article https://\n### Titre de l'article\nLe texte de l'article.\n:::"),
  };
  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("[data-insert]");
    if (button) actions[button.dataset.insert]();
  });
  toolbar.addEventListener("change", (event) => {
    const select = event.target.closest("[data-insert-card]");
    if (select && select.value) {
      insertBlock("{{ " + select.dataset.insertCard + " " + select.value + " }}");
      select.value = "";
    }
  });

  // --- Images ------------------------------------------------------------------------------------------------
  const dialog = document.querySelector("[data-image-dialog]");
  const imageForm = dialog.querySelector("[data-image-form]");
  const imageError = dialog.querySelector("[data-image-error]");
  const fileInput = imageForm.querySelector("input[type=file]");
  const altInput = imageForm.querySelector("input[name=alt]");
  function openImageDialog(files) {
    imageError.hidden = true;
    imageForm.reset();
    if (files) fileInput.files = files;
    dialog.showModal();
    (files ? altInput : fileInput).focus();
  }
  dialog.querySelector("[data-image-cancel]").addEventListener("click", () => dialog.close());
  imageForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const showError = (message) => { imageError.textContent = message; imageError.hidden = false; };
    if (!fileInput.files.length) return showError("Choisissez une image.");
    if (!altInput.value.trim()) {
      altInput.focus();
      return showError("Décrivez l'image en quelques mots (texte alternatif) : c'est obligatoire.");
    }
    try {
      const response = await fetch(imageForm.action, {
        method: "POST", body: new FormData(imageForm), credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
      });
      const answer = await response.json().catch(() => ({ error: "L'image n'a pas pu être envoyée." }));
      if (!response.ok) return showError(answer.error || "L'image n'a pas pu être envoyée.");
      dialog.close();
      insertBlock(answer.markdown);
    } catch (error) {
      showError("L'image n'a pas pu être envoyée (connexion perdue ?).");
    }
  });
  editor.addEventListener("drop", (event) => {
    if (event.dataTransfer && event.dataTransfer.files.length) openImageDialog(event.dataTransfer.files);
  });

  // --- Live preview -------------------------------------------------------------------------------------------
  let timer = null;
  let sequence = 0;
  const preview = async () => {
    const mine = ++sequence;
    const data = new FormData(form);
    data.set("body_markdown", editor.getContent());
    try {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
      });
      if (!response.ok || mine !== sequence) return;
      const answer = await response.json();
      frame.srcdoc = answer.html;
      textView.textContent = answer.text;
      warnings.replaceChildren(...answer.warnings.map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      }));
    } catch (error) { /* the next keystroke tries again */ }
  };
  const schedulePreview = () => { clearTimeout(timer); timer = setTimeout(preview, 400); };
  const changed = () => { dirty = true; status.textContent = "Modifications non enregistrées"; schedulePreview(); };
  editor.addEventListener("change", changed);
  form.addEventListener("input", (event) => { if (event.target !== textarea) changed(); });
  preview();

  pane.querySelectorAll("[data-width]").forEach((button) => button.addEventListener("click", () => {
    pane.querySelectorAll("[data-width]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    frame.classList.toggle("phone", button.dataset.width === "phone");
  }));
  const textButton = pane.querySelector("[data-show-text]");
  textButton.addEventListener("click", () => {
    const showText = textButton.getAttribute("aria-pressed") !== "true";
    textButton.setAttribute("aria-pressed", String(showText));
    textView.hidden = !showText;
    frame.hidden = showText;
  });

  // --- Autosave and leaving ----------------------------------------------------------------------------------
  const autosaveUrl = form.dataset.autosaveUrl;
  if (autosaveUrl) {
    setInterval(async () => {
      if (!dirty || submitting) return;
      const data = new FormData(form);
      data.set("body_markdown", editor.getContent());
      try {
        const response = await fetch(autosaveUrl, {
          method: "POST", body: data, credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": csrf },
        });
        const answer = await response.json();
        if (answer.saved) { dirty = false; status.textContent = "Brouillon enregistré à " + answer.at; }
        else { status.textContent = "Brouillon non enregistré : " + Object.values(answer.errors).join(" "); }
      } catch (error) { status.textContent = "Brouillon non enregistré (connexion perdue ?)."; }
    }, Number(form.dataset.autosaveSeconds || 15) * 1000);
  }
  form.addEventListener("submit", () => { submitting = true; });
  window.addEventListener("beforeunload", (event) => {
    if (dirty && !submitting) { event.preventDefault(); event.returnValue = ""; }
  });
})();

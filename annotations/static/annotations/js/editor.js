/* The span editor's fact-check fields: comboboxes for the speaker and the source URL
 * (WAI-ARIA combobox with a listbox: ↓ ↑ Enter Esc, or the mouse), the speaker
 * suggestion (press s), the verdict picker (press v), sources edited in place.
 * The editor is redrawn by htmx after every change, so everything here is delegated
 * from the document instead of bound to elements that come and go. */
(function () {
  "use strict";

  const Review = window.FactcheckReview;
  if (!Review) return;
  const DELAY = 120; // ms after the last key before asking the server

  // --- comboboxes -------------------------------------------------------------------------

  function parts(input) {
    const listbox = document.getElementById(input.getAttribute("aria-controls"));
    const status = input.parentElement.querySelector("[data-combobox-status]");
    return { listbox: listbox, status: status };
  }

  function options(listbox) {
    return Array.from(listbox.querySelectorAll('[role="option"]:not(.option-note)'));
  }

  function isOpen(input) {
    return input.getAttribute("aria-expanded") === "true";
  }

  function close(input) {
    const listbox = parts(input).listbox;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    if (listbox) listbox.hidden = true;
  }

  function setActive(input, index) {
    const listbox = parts(input).listbox;
    const list = options(listbox);
    list.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
      option.classList.toggle("is-active", i === index);
    });
    if (index < 0 || index >= list.length) {
      input.removeAttribute("aria-activedescendant");
      return;
    }
    input.setAttribute("aria-activedescendant", list[index].id);
    list[index].scrollIntoView({ block: "nearest" });
  }

  function activeIndex(input) {
    const id = input.getAttribute("aria-activedescendant");
    return id ? options(parts(input).listbox).findIndex(function (o) { return o.id === id; }) : -1;
  }

  function show(input, html) {
    const p = parts(input);
    if (!p.listbox) return;
    p.listbox.innerHTML = html;
    const all = Array.from(p.listbox.querySelectorAll('[role="option"]'));
    all.forEach(function (option, i) { option.id = p.listbox.id + "-" + i; });
    const count = options(p.listbox).length;
    const any = all.length > 0 && document.activeElement === input;
    p.listbox.hidden = !any;
    input.setAttribute("aria-expanded", any ? "true" : "false");
    input.removeAttribute("aria-activedescendant");
    if (p.status) {
      p.status.textContent = count ? count + (count === 1 ? " suggestion" : " suggestions") + ", ↓ to choose" : "";
    }
  }

  function fetchOptions(input) {
    const min = Number(input.dataset.minChars || 0);
    const typed = input.value.trim();
    if (typed.length < min) { show(input, ""); return; }
    if (input._abort) input._abort.abort();
    const abort = new AbortController();
    input._abort = abort;
    const url = new URL(input.dataset.optionsUrl, window.location.href);
    url.searchParams.set("q", typed);
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin", signal: abort.signal })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { if (input._abort === abort && input.isConnected) show(input, html); })
      .catch(function () { /* replaced by a newer request, or offline: nothing to show */ });
  }

  function choose(input, option) {
    if (!option || option.getAttribute("aria-disabled") === "true") return false;
    input.value = option.dataset.value;
    // A stored source fills in its title and publisher.
    const form = input.form;
    const prefix = input.name.slice(0, input.name.lastIndexOf("-") + 1);
    Object.keys(option.dataset).forEach(function (key) {
      if (!key.startsWith("fill")) return;
      const name = key.slice(4).toLowerCase();
      const field = form && form.elements.namedItem(prefix + name);
      if (field && !field.disabled) field.value = option.dataset[key];
    });
    close(input);
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function comboboxOf(target) {
    return target && target.matches && target.matches('input[role="combobox"][data-options-url]') ? target : null;
  }

  document.addEventListener("input", function (event) {
    const input = comboboxOf(event.target);
    if (!input) return;
    clearTimeout(input._timer);
    input._timer = setTimeout(function () { fetchOptions(input); }, DELAY);
  });

  document.addEventListener("focusin", function (event) {
    // An empty field offers what is likely at once (this article's speakers).
    const input = comboboxOf(event.target);
    if (input && !isOpen(input) && !input.value.trim()) fetchOptions(input);
  });

  document.addEventListener("focusout", function (event) {
    const input = comboboxOf(event.target);
    if (input) setTimeout(function () { if (document.activeElement !== input) close(input); }, 150);
  });

  document.addEventListener("keydown", function (event) {
    const input = comboboxOf(event.target);
    if (!input) return;
    const listbox = parts(input).listbox;
    const count = listbox ? options(listbox).length : 0;
    const key = event.key;
    if (key === "ArrowDown" || key === "ArrowUp") {
      event.preventDefault();
      if (!isOpen(input)) {
        fetchOptions(input);
        return;
      }
      if (!count) return;
      const step = key === "ArrowDown" ? 1 : -1;
      const now = activeIndex(input);
      const next = now < 0 ? (step > 0 ? 0 : count - 1) : (now + step + count) % count;
      setActive(input, next);
    } else if (key === "Enter" && !event.ctrlKey && !event.metaKey && isOpen(input) && activeIndex(input) >= 0) {
      // Take the highlighted option; Enter with none highlighted saves what was typed.
      event.preventDefault();
      event.stopPropagation();
      choose(input, options(listbox)[activeIndex(input)]);
    } else if (key === "Escape" && isOpen(input)) {
      // The list closes; the editor stays open (a second Esc closes it).
      event.preventDefault();
      event.stopPropagation();
      close(input);
    } else if (key === "Tab") {
      close(input);
    }
  }, true);

  // The mouse: a press on an option must not take the focus from the field first.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest('.listbox [role="option"]')) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    const option = event.target.closest && event.target.closest('.listbox [role="option"]');
    if (!option) return;
    const input = document.querySelector('[aria-controls="' + CSS.escape(option.parentElement.id) + '"]');
    if (input && choose(input, option)) input.focus();
  });

  // --- the speaker suggestion and the verdict: keys on the page -----------------------------

  function editForm() {
    const card = Review.openCard();
    return card ? card.querySelector("form.edit-form") : null;
  }

  function takeSuggestion() {
    const form = editForm();
    const offer = form && form.querySelector("[data-speaker-suggestion]");
    const field = form && form.querySelector('input[name="edit-speaker"]');
    if (!offer || !field) return false;
    field.value = offer.dataset.speakerSuggestion;
    Review.submitThroughHtmx(form);
    return true;
  }

  function focusVerdict() {
    const form = editForm();
    const picker = form && form.querySelector(".verdict-picker");
    if (!picker) return false;
    const radio = picker.querySelector("input[type=radio]:checked") || picker.querySelector("input[type=radio]");
    if (!radio) return false;
    radio.focus();
    picker.scrollIntoView({ block: "nearest" });
    return true;
  }

  function selectingText() {
    const selection = window.getSelection();
    return selection && !selection.isCollapsed;
  }

  Review.keyHooks.push(function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return false;
    // Enter on a verdict saves it (the keyboard path: v, arrows, Enter).
    if (event.key === "Enter" && event.target.matches && event.target.matches(".verdict-picker input[type=radio]")) {
      Review.submitThroughHtmx(event.target.form);
      return true;
    }
    if (Review.inField(event.target) || selectingText()) return false;
    if (event.key !== "s" && event.key !== "v") return false;
    if (event.key === "s" ? takeSuggestion() : focusVerdict()) return true;
    // Say why nothing happened, unless a label uses the key (the page's own keys then).
    if (!editForm() || document.querySelector('#label-bar [data-shortcut="' + event.key + '"]')) return false;
    Review.showMessage(event.key === "s" ? "No speaker is suggested for this span." : "Only claims carry a verdict.");
    return true;
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".js-take-suggestion")) {
      event.preventDefault();
      takeSuggestion();
    }
  });

  // --- sources edited in place ---------------------------------------------------------------

  function slotOf(button) {
    return document.getElementById(button.getAttribute("aria-controls"));
  }

  function closeEdit(button) {
    const slot = slotOf(button);
    if (slot) slot.innerHTML = "";
    button.setAttribute("aria-expanded", "false");
  }

  function cancelEdit(slot) {
    const button = slot && document.querySelector('[aria-controls="' + CSS.escape(slot.id) + '"]');
    if (!button) return false;
    closeEdit(button);
    button.focus();
    return true;
  }

  // Esc in a source's edit form closes that form, not the whole editor.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    const slot = event.target.closest && event.target.closest(".source-slot");
    if (slot && cancelEdit(slot)) { event.preventDefault(); event.stopPropagation(); }
  }, true);

  document.addEventListener("click", function (event) {
    const edit = event.target.closest && event.target.closest("[data-source-edit]");
    if (edit) {
      event.preventDefault();
      if (edit.getAttribute("aria-expanded") === "true") { closeEdit(edit); return; }
      edit.setAttribute("aria-expanded", "true");
      htmx.ajax("GET", edit.dataset.sourceEdit, { target: slotOf(edit), swap: "innerHTML" }).then(function () {
        const first = slotOf(edit) && slotOf(edit).querySelector("input:not([type=hidden]), textarea");
        if (first) first.focus();
      });
      return;
    }
    const cancel = event.target.closest && event.target.closest("[data-source-cancel]");
    if (cancel) {
      event.preventDefault();
      cancelEdit(cancel.closest(".source-slot"));
    }
  });

  // --- the key list ----------------------------------------------------------------------------

  const keys = document.querySelector("#shortcuts dl");
  if (keys) {
    [["v", "Choose the open claim's verdict (arrows, then Enter saves)"],
     ["s", "Take the suggested speaker and save"]].forEach(function (entry) {
      const dt = document.createElement("dt");
      const kbd = document.createElement("kbd");
      kbd.textContent = entry[0];
      dt.appendChild(kbd);
      const dd = document.createElement("dd");
      dd.textContent = entry[1];
      keys.appendChild(dt);
      keys.appendChild(dd);
    });
  }
})();

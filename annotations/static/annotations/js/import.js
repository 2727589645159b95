/* The import page with JavaScript: drop files and folders, see the list of chosen files
   (name, size, remove) before uploading, and an upload bar while they go up.

   Without JavaScript the page is a plain multipart form (the file input stays visible).
   With it, the chosen files are kept in a list here and copied into the form's own file
   input (a DataTransfer) before htmx posts the form, so the server sees the same
   request either way. Folders are read with webkitGetAsEntry (dropped) or the
   webkitdirectory picker; hidden files (.DS_Store) are left out, as the command does. */
(function () {
  "use strict";

  function humanSize(bytes) {
    const units = [["GB", 1024 ** 3], ["MB", 1024 ** 2], ["KB", 1024]];
    for (const [unit, scale] of units) {
      if (bytes >= scale) {
        const value = bytes / scale;
        return (value >= 100 ? value.toFixed(0) : value.toFixed(1)) + " " + unit;
      }
    }
    return bytes + " bytes";
  }

  function hidden(path) {
    return path.split("/").some((part) => part.startsWith(".") || part === "__MACOSX");
  }

  // Every file under a dropped entry (a folder is read in batches until it is empty).
  function filesOf(entry, prefix) {
    return new Promise((resolve) => {
      if (entry.isFile) {
        entry.file((file) => resolve([{ file: file, path: prefix + file.name }]), () => resolve([]));
        return;
      }
      if (!entry.isDirectory) { resolve([]); return; }
      const reader = entry.createReader();
      const found = [];
      const readBatch = () => {
        reader.readEntries((entries) => {
          if (!entries.length) {
            Promise.all(found).then((lists) => resolve(lists.flat()));
            return;
          }
          for (const child of entries) found.push(filesOf(child, prefix + entry.name + "/"));
          readBatch();
        }, () => resolve([]));
      };
      readBatch();
    });
  }

  function setUp(form) {
    if (form.dataset.importReady) return;
    form.dataset.importReady = "1";
    const input = form.querySelector('input[type=file][name=files]');
    const folderInput = form.querySelector("[data-folder-input]");
    const drop = form.querySelector("[data-import-drop]");
    const list = form.querySelector("[data-import-chosen]");
    const maxFile = Number(form.dataset.maxFile || 0);
    if (!input || !drop || !list || typeof DataTransfer === "undefined") return;
    const chosen = [];

    drop.hidden = false;
    input.classList.add("import-native-input");

    function add(items) {
      for (const item of items) {
        if (hidden(item.path)) continue;
        const known = chosen.some((c) => c.path === item.path && c.file.size === item.file.size);
        if (!known) chosen.push(item);
      }
      render();
    }

    function sync() {
      const transfer = new DataTransfer();
      for (const item of chosen) transfer.items.add(item.file);
      input.files = transfer.files;
    }

    function render() {
      list.replaceChildren();
      let total = 0;
      chosen.forEach((item, index) => {
        total += item.file.size;
        const li = document.createElement("li");
        const name = document.createElement("span");
        name.className = "import-chosen-name";
        name.textContent = item.path;  // text, never markup
        const size = document.createElement("span");
        size.className = "import-chosen-size muted";
        size.textContent = humanSize(item.file.size);
        li.append(name, size);
        if (maxFile && item.file.size > maxFile) {
          const over = document.createElement("span");
          over.className = "import-chosen-over";
          over.textContent = "over the " + humanSize(maxFile) + " limit";
          li.append(over);
        } else if (!item.file.size) {
          const empty = document.createElement("span");
          empty.className = "import-chosen-over";
          empty.textContent = "empty";
          li.append(empty);
        }
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button-link import-chosen-remove";
        remove.textContent = "Remove";
        remove.setAttribute("aria-label", "Remove " + item.path);
        remove.addEventListener("click", () => { chosen.splice(index, 1); render(); });
        li.append(remove);
        list.append(li);
      });
      if (chosen.length) {
        const summary = document.createElement("li");
        summary.className = "import-chosen-total muted";
        summary.textContent = chosen.length + " file" + (chosen.length === 1 ? "" : "s") + ", " + humanSize(total);
        list.append(summary);
      }
      sync();
    }

    input.addEventListener("change", () => {
      // The picker replaces the input's files: keep those chosen before as well.
      const picked = Array.from(input.files).map((file) => ({ file: file, path: file.name }));
      add(picked);
    });
    if (folderInput) {
      folderInput.addEventListener("change", () => {
        add(Array.from(folderInput.files).map((file) => ({ file: file, path: file.webkitRelativePath || file.name })));
        folderInput.value = "";
      });
    }
    form.querySelectorAll("[data-pick]").forEach((button) => {
      button.addEventListener("click", () => {
        (button.dataset.pick === "folder" ? folderInput : input).click();
      });
    });

    ["dragenter", "dragover"].forEach((type) => drop.addEventListener(type, (event) => {
      event.preventDefault();
      drop.classList.add("import-drop-over");
    }));
    drop.addEventListener("dragleave", () => drop.classList.remove("import-drop-over"));
    drop.addEventListener("drop", (event) => {
      event.preventDefault();
      drop.classList.remove("import-drop-over");
      const items = Array.from(event.dataTransfer.items || []);
      const entries = items.map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry()).filter(Boolean);
      if (entries.length) {
        Promise.all(entries.map((entry) => filesOf(entry, ""))).then((lists) => add(lists.flat()));
      } else {
        add(Array.from(event.dataTransfer.files).map((file) => ({ file: file, path: file.name })));
      }
    });

    // The upload's own progress (before the server imports), from htmx's XHR events.
    const status = form.querySelector("#import-progress");
    form.addEventListener("htmx:xhr:progress", (event) => {
      if (!status || !event.detail.total) return;
      const percent = Math.round((event.detail.loaded / event.detail.total) * 100);
      status.textContent = percent < 100 ? "Uploading… " + percent + "%" : "Importing…";
    });
  }

  // A refused upload (413: over the limits) carries its message in the import region;
  // the page's htmx config swaps only 2xx and 422, so 413 is let through here.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail.xhr;
    if (xhr && xhr.status === 413 && event.detail.target && event.detail.target.id === "import-region") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function setUpAll(root) {
    (root || document).querySelectorAll("form.import-form").forEach(setUp);
  }

  if (window.htmx) window.htmx.onLoad(setUpAll);
  document.addEventListener("DOMContentLoaded", () => setUpAll(document));
})();

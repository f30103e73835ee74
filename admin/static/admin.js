// Conveniences only: every page works without this script.
(function () {
  "use strict";
  var root = document.documentElement;

  // Theme toggle: system → light → dark → system.
  var toggle = document.getElementById("theme-toggle");
  if (toggle) {
    var label = toggle.querySelector("span");
    var current = function () { return root.getAttribute("data-theme") || "system"; };
    label.textContent = current();
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var next = { system: "light", light: "dark", dark: "system" }[current()];
      if (next === "system") root.removeAttribute("data-theme"); else root.setAttribute("data-theme", next);
      try { if (next === "system") localStorage.removeItem("quarry-admin-theme"); else localStorage.setItem("quarry-admin-theme", next); } catch (e) {}
      label.textContent = next;
    });
  }

  // Select every row on the page.
  var all = document.getElementById("toggle-all");
  if (all) {
    all.hidden = false;
    var boxes = document.querySelectorAll('input[name="_selected"]');
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
    });
  }

  // Foreign-key pickers: suggestions from the target table as you type.
  document.querySelectorAll("input[data-lookup]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        fetch(input.dataset.lookup + "?q=" + encodeURIComponent(input.value), { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            list.textContent = "";
            items.forEach(function (it) {
              var o = document.createElement("option");
              o.value = it.key;
              o.label = it.label;
              o.textContent = it.label;
              list.appendChild(o);
            });
          })
          .catch(function () {});
      }, 200);
    });
  });

  // JSON fields: say at once when the text is not valid JSON.
  document.querySelectorAll("textarea[data-json]").forEach(function (area) {
    area.addEventListener("blur", function () {
      if (area.value.trim() === "") { area.setCustomValidity(""); return; }
      try { JSON.parse(area.value); area.setCustomValidity(""); }
      catch (e) { area.setCustomValidity("Not valid JSON: " + e.message); area.reportValidity(); }
    });
  });
  // el makes an element holding text, with a class.
  var el = function (tag, text, cls) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  // failure turns an error answer (problem details) into a rejection with
  // its message.
  var failure = function (r) {
    return r.json().then(function (b) { return b.detail || b.error || r.statusText; }, function () { return "the server answered " + r.status; })
      .then(function (msg) { throw new Error(msg); });
  };
  var asJSON = function (r) { return r.ok ? r.json() : failure(r); };

  // Media library: files dropped on the upload form are uploaded one by
  // one, straight to storage when the disk takes presigned uploads (begin,
  // PUT, finalize), else through the form's own endpoint. The form itself
  // works without this script.
  var upload = document.getElementById("media-upload");
  var drop = document.getElementById("media-drop");
  if (upload && drop) {
    var token = upload.elements.csrf_token.value;
    var statusList = document.getElementById("media-upload-status");
    var hint = upload.querySelector(".drop-hint");
    if (hint) hint.hidden = false;
    var fields = function () {
      var out = [];
      var c = upload.elements.collection, t = upload.elements.tags;
      if (c && c.value) out.push(["collection", c.value]);
      if (t && t.value.trim()) out.push(["tags", t.value]);
      return out;
    };
    var post = function (url, body, headers) {
      var h = { Accept: "application/json" };
      Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
      return fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: h });
    };
    // viaServer posts the file as the form does (the token first).
    var viaServer = function (file) {
      var fd = new FormData();
      fd.append("csrf_token", token);
      fields().forEach(function (kv) { fd.append(kv[0], kv[1]); });
      fd.append("file", file, file.name);
      return post(upload.action, fd, { "X-CSRF-Token": token }).then(asJSON);
    };
    // direct sends the file to storage, or through the server when the
    // disk takes no direct upload (409) or the browser knows no type.
    var direct = function (file) {
      if (!file.type) return viaServer(file);
      var p = new URLSearchParams();
      p.append("csrf_token", token);
      p.append("filename", file.name);
      p.append("content_type", file.type);
      p.append("size", String(file.size));
      fields().forEach(function (kv) { p.append(kv[0], kv[1]); });
      return post(upload.dataset.begin, p).then(function (r) {
        if (r.status === 409) return viaServer(file);
        return asJSON(r).then(function (b) {
          return fetch(b.upload.url, { method: b.upload.method, headers: b.upload.headers, body: file }).then(function (put) {
            if (!put.ok) throw new Error("storage refused the file (HTTP " + put.status + ")");
            var f = new URLSearchParams();
            f.append("csrf_token", token);
            return post(b.finalize, f).then(asJSON);
          });
        });
      });
    };
    var uploadAll = function (files) {
      var ok = 0, failed = 0, chain = Promise.resolve();
      Array.prototype.forEach.call(files, function (file) {
        var li = el("li", file.name + ": waiting…");
        statusList.appendChild(li);
        chain = chain.then(function () {
          li.textContent = file.name + ": uploading…";
          return direct(file).then(function () {
            ok++;
            li.className = "done";
            li.textContent = file.name + ": uploaded";
          }, function (e) {
            failed++;
            li.className = "failed";
            li.textContent = file.name + ": " + e.message;
          });
        });
      });
      chain.then(function () {
        // The library again, with the new files and their messages; a
        // failure stays on screen.
        if (ok > 0 && failed === 0) location.assign(upload.dataset.library);
      });
    };
    drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("dragging"); });
    drop.addEventListener("dragleave", function () { drop.classList.remove("dragging"); });
    drop.addEventListener("drop", function (e) {
      e.preventDefault();
      drop.classList.remove("dragging");
      if (e.dataTransfer && e.dataTransfer.files.length) uploadAll(e.dataTransfer.files);
    });
  }

  // Media pickers: "Choose…" opens a chooser of the library's files that
  // writes the chosen id into the field (a drop-down or a text input,
  // which work without this script); "Clear" empties a nullable one.
  var chooser;
  var makeChooser = function () {
    var dlg = el("dialog", "", "media-chooser");
    dlg.setAttribute("aria-labelledby", "media-chooser-title");
    var head = el("form", "", "chooser-head");
    head.setAttribute("role", "search");
    var title = el("h2", "Choose a file");
    title.id = "media-chooser-title";
    var q = el("input");
    q.type = "search";
    q.placeholder = "Search file names";
    q.setAttribute("aria-label", "Search file names");
    var go = el("button", "Search");
    go.type = "submit";
    head.append(title, q, go);
    var status = el("p", "", "chooser-status");
    status.setAttribute("aria-live", "polite");
    var grid = el("ul", "", "media-grid chooser-grid");
    var foot = el("div", "", "chooser-foot");
    var more = el("button", "Older", "secondary");
    more.type = "button";
    more.hidden = true;
    var cancel = el("button", "Cancel", "secondary");
    cancel.type = "button";
    foot.append(more, cancel);
    dlg.append(head, status, grid, foot);
    document.body.appendChild(dlg);
    var state = {};
    var load = function (before) {
      var u = state.url + "?q=" + encodeURIComponent(q.value.trim()) + (before ? "&before=" + encodeURIComponent(before) : "");
      status.textContent = "Loading…";
      fetch(u, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(asJSON)
        .then(function (page) {
          if (!before) grid.textContent = "";
          page.items.forEach(function (it) {
            var b = el("button", "", "chooser-item");
            b.type = "button";
            b.setAttribute("data-media-id", String(it.id));
            if (it.thumb) {
              var img = el("img", "", "media-thumb");
              img.src = it.thumb;
              img.alt = "";
              b.appendChild(img);
            } else {
              b.appendChild(el("span", it.family, "media-tile"));
            }
            b.append(el("span", it.filename, "media-name"), el("span", it.type + " · " + it.size, "media-meta"));
            b.addEventListener("click", function () { dlg.close(); state.pick(it); });
            var li = el("li");
            li.appendChild(b);
            grid.appendChild(li);
          });
          state.next = page.next;
          more.hidden = !page.next;
          status.textContent = grid.children.length ? "" : "No files match.";
        })
        .catch(function (e) { status.textContent = "The files could not be loaded: " + e.message; });
    };
    head.addEventListener("submit", function (e) { e.preventDefault(); load(null); });
    more.addEventListener("click", function () { load(state.next); });
    cancel.addEventListener("click", function () { dlg.close(); });
    return function (url, pick) {
      state.url = url;
      state.pick = pick;
      state.next = null;
      q.value = "";
      grid.textContent = "";
      dlg.showModal();
      q.focus();
      load(null);
    };
  };
  document.querySelectorAll("[data-media-picker]").forEach(function (picker) {
    var control = picker.querySelector("select, input");
    var current = picker.querySelector("[data-media-current]");
    var choose = picker.querySelector("[data-media-choose]");
    var clear = picker.querySelector("[data-media-clear]");
    if (!control || !current || !choose) return;
    var show = function (it) {
      current.textContent = "";
      if (!it) { current.appendChild(el("span", "No file chosen", "media-name null")); return; }
      if (it.thumb) {
        var img = el("img", "", "media-preview");
        img.src = it.thumb;
        img.alt = "";
        current.appendChild(img);
      } else {
        current.appendChild(el("span", it.family || "file", "media-tile media-tile-small"));
      }
      var name = el(it.url ? "a" : "span", it.filename, "media-name");
      if (it.url) { name.href = it.url; name.target = "_blank"; name.rel = "noopener"; }
      current.append(" ", name);
    };
    var set = function (it) {
      var v = it ? String(it.id) : "";
      if (control.tagName === "SELECT" && v && !Array.prototype.some.call(control.options, function (o) { return o.value === v; })) {
        control.add(new Option(it.label || it.filename, v));
      }
      control.value = v;
      show(it);
      control.dispatchEvent(new Event("change", { bubbles: true }));
    };
    choose.hidden = false;
    choose.addEventListener("click", function () {
      if (!chooser) chooser = makeChooser();
      chooser(picker.dataset.choose, set);
    });
    if (clear) { clear.hidden = false; clear.addEventListener("click", function () { set(null); }); }
    if (control.tagName === "SELECT") {
      control.addEventListener("change", function (e) {
        if (!e.isTrusted) return; // set's own event
        var o = control.options[control.selectedIndex];
        show(o && o.value ? { id: o.value, filename: o.text } : null);
      });
    }
  });
})();

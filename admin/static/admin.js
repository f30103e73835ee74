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
})();

/* Small improvements on top of pages that already work without JavaScript:
   live countdowns, photo previews before upload, a confirm on risky buttons.
   Loaded from 'self' only (the CSP allows no inline script). */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return String(values[k]); });
  }

  /* Countdowns: <span class="left|overdue" data-due="2026-11-23T02:00:00Z">. The phrases come
     from data-t-* on <body>, rendered in the page's language by the server. */
  var texts = document.body.dataset;
  function span(seconds) {
    var minutes = Math.max(Math.floor(seconds / 60), 1);
    var days = Math.floor(minutes / 1440), rest = minutes % 1440;
    var hours = Math.floor(rest / 60); minutes = rest % 60;
    if (days) { return fill(texts.tDh, { d: days, h: hours }); }
    if (hours) { return fill(texts.tHm, { h: hours, m: minutes }); }
    return fill(texts.tM, { m: minutes });
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.dataset.due);
      if (isNaN(due) || !texts.tLeft) { return; }
      var seconds = Math.round((due - now) / 1000);
      var late = seconds < 0;
      el.textContent = fill(late ? texts.tOverdue : texts.tLeft, { t: span(Math.abs(seconds)) });
      el.classList.toggle("overdue", late);
      el.classList.toggle("left", !late);
    });
  }
  if (document.querySelector("[data-due]")) { tick(); window.setInterval(tick, 30000); }

  /* Photo preview: thumbnails of the chosen files (data: URLs, which the CSP allows). */
  document.querySelectorAll('input[type=file][accept^="image"]').forEach(function (input) {
    var box = document.createElement("div");
    box.className = "previews";
    box.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", box);
    input.addEventListener("change", function () {
      box.textContent = "";
      Array.prototype.slice.call(input.files || [], 0, 6).forEach(function (file, i) {
        if (!/^image\//.test(file.type)) { return; }
        var reader = new FileReader();
        reader.onload = function () {
          var img = document.createElement("img");
          img.src = reader.result;
          img.alt = file.name;
          box.appendChild(img);
        };
        reader.readAsDataURL(file);
      });
    });
  });

  /* A table wider than the screen scrolls sideways: let the keyboard reach it too. */
  document.querySelectorAll(".table-wrap").forEach(function (wrap) {
    if (wrap.scrollWidth > wrap.clientWidth && !wrap.hasAttribute("tabindex")) {
      wrap.setAttribute("tabindex", "0");
      if (!wrap.hasAttribute("role")) { wrap.setAttribute("role", "region"); }
      var caption = wrap.querySelector("caption");
      if (caption && !wrap.hasAttribute("aria-label")) { wrap.setAttribute("aria-label", caption.textContent.trim()); }
    }
  });

  /* Buttons with data-confirm ask once before a step that cannot be undone. */
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  /* Filing form: choosing a community reloads its grids (without the script, a button
     posts the form back for the same). The first option ("not sure") stays. */
  document.querySelectorAll("select[data-grids-url]").forEach(function (community) {
    var grid = community.form && community.form.elements.grid;
    if (!grid) { return; }
    community.addEventListener("change", function () {
      var first = grid.options[0];
      var keep = first ? first.cloneNode(true) : null;
      if (!community.value) {
        grid.innerHTML = ""; if (keep) { grid.appendChild(keep); }
        return;
      }
      var url = community.dataset.gridsUrl.replace(/\/0\/grids$/, "/" + encodeURIComponent(community.value) + "/grids");
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { grids: [] }; })
        .then(function (data) {
          grid.innerHTML = "";
          if (keep) { grid.appendChild(keep); }
          data.grids.forEach(function (g) {
            var option = document.createElement("option");
            option.value = g.id; option.textContent = g.name;
            grid.appendChild(option);
          });
          grid.dispatchEvent(new Event("grids-loaded"));  // the map (maps.js) picks its grid now
        });
    });
  });

  /* Enter in the staff's community search looks the name up (the form's default button,
     first in the form, would file the request). */
  var find = document.querySelector("button[name=find_community]");
  var findField = document.getElementById("community_q");
  if (find && findField) {
    findField.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); find.click(); }
    });
  }
})();

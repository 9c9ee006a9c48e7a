/* Maps (Leaflet, vendored) over the grids' GeoJSON. Each <div class="map" data-map="ID">
   reads its data from its data-map-json attribute (community/areas/maps.py; no inline
   script, as the CSP wants):
   areas (features with a shade class), points, one point, and a tile layer only when the
   server has one configured; otherwise the boundaries are drawn on a blank background.
   Every map has a table or text beside it that says the same: the map adds, never hides. */
(function () {
  "use strict";
  if (!window.L) { return; }
  var SHADES = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
  var CATEGORY_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
    "#a6761d", "#666666", "#1f78b4", "#b2df8a", "#fb9a99", "#cab2d6", "#ff7f00"];

  function areaStyle(feature) {
    var p = feature.properties || {};
    if (p.highlight) { return {color: "#c2410c", weight: 3, fillColor: "#fdba74", fillOpacity: 0.35}; }
    if (p.shade === null || p.shade === undefined) {
      return {color: "#555", weight: p.outline ? 2 : 1, fillColor: "#ffffff", fillOpacity: p.few ? 0.6 : 0.15,
              dashArray: p.few ? "4 3" : null};
    }
    return {color: "#555", weight: 1, fillColor: SHADES[p.shade], fillOpacity: 0.8};
  }

  function tooltip(feature) {
    var p = feature.properties || {};
    return p.label ? p.name + "：" + p.label : p.name;
  }

  function draw(el) {
    var source = el.getAttribute("data-map-json");
    if (!source) { return null; }
    var data = JSON.parse(source);
    var map = L.map(el, {attributionControl: !!data.tiles, scrollWheelZoom: false, zoomSnap: 0.25});
    if (data.tiles) {
      L.tileLayer(data.tiles.url, {attribution: data.tiles.attribution, maxZoom: 19}).addTo(map);
    } else {
      el.classList.add("map-blank");
    }
    var areas = L.geoJSON(data.areas, {
      style: areaStyle,
      onEachFeature: function (feature, layer) { layer.bindTooltip(tooltip(feature), {sticky: true}); }
    }).addTo(map);
    var bounds = areas.getBounds();
    var overlays = {};
    (data.points || []).forEach(function (pt) {
      if (Array.isArray(pt)) {  // a dashboard's [lat, long, category], its labels once
        pt = {lat: pt[0], long: pt[1], c: pt[2], label: data.point_labels[pt[2]]};
      }
      var colour = CATEGORY_COLOURS[pt.c % CATEGORY_COLOURS.length];
      var group = overlays[pt.label];
      if (!group) { group = overlays[pt.label] = L.layerGroup().addTo(map); group.colourIndex = pt.c % CATEGORY_COLOURS.length; }
      L.circleMarker([pt.lat, pt.long], {radius: 5, color: "#222", weight: 1, fillColor: colour,
        fillOpacity: 0.9}).bindTooltip(pt.label).addTo(group);
      bounds.extend([pt.lat, pt.long]);
    });
    var names = Object.keys(overlays);
    if (names.length) {
      var labelled = {};
      names.forEach(function (name) {
        // A class, not a style attribute: the page's CSP allows no inline styles.
        labelled["<span class=\"swatch c" + overlays[name].colourIndex + "\"></span>" + name] = overlays[name];
      });
      L.control.layers(null, labelled, {collapsed: true}).addTo(map);
    }
    if (data.point) {
      bounds.extend([data.point.lat, data.point.long]);
    }
    function fit() {
      if (bounds.isValid()) {
        map.fitBounds(bounds, {padding: [8, 8], maxZoom: data.zoom || 17});
      } else {
        map.setView([25.04, 102.71], 12);
      }
    }
    fit();
    /* A dashboard's grid outlines come apart from the page (the browser keeps them);
       the page gives each grid's shade and label by id. */
    if (data.outlines) {
      fetch(data.outlines.url, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (shapes) {
          if (!shapes) { return; }
          shapes.features.forEach(function (f) {
            var extra = data.outlines.properties[f.properties.id] || {};
            Object.keys(extra).forEach(function (key) { f.properties[key] = extra[key]; });
          });
          areas.addData(shapes);
          bounds.extend(areas.getBounds());
          fit();
        });
    }
    var state = {map: map, areas: areas, data: data, marker: null};
    if (data.point) {
      state.marker = L.marker([data.point.lat, data.point.long], {
        keyboard: false, alt: data.point.label || "", title: data.point.label || ""}).addTo(map);
    }
    return state;
  }

  /* The filing page: "use my location", a click or a dragged marker sets the point;
     the server finds the grid (/areas/locate) and the community and grid lists follow. */
  function picker(state, box) {
    var form = box.closest("form");
    var lat = form.querySelector("input[name=lat]");
    var long = form.querySelector("input[name=long]");
    var status = box.querySelector("[data-map-status]");
    var community = form.querySelector("select[name=community]");
    var grid = form.querySelector("select[name=grid]");
    var found = null;
    var t = box.dataset;

    function say(text) { status.textContent = text; }

    function place(latlng, zoom) {
      lat.value = latlng.lat.toFixed(6);
      long.value = latlng.lng.toFixed(6);
      if (!state.marker) {
        state.marker = L.marker(latlng, {draggable: true, keyboard: false, alt: t.marker, title: t.marker}).addTo(state.map);
        state.marker.on("dragend", function () { place(state.marker.getLatLng()); });
      } else {
        state.marker.setLatLng(latlng);
      }
      if (zoom) { state.map.setView(latlng, Math.max(state.map.getZoom(), 16)); }
      fetch(t.locateUrl + "?lat=" + lat.value + "&long=" + long.value, {headers: {Accept: "application/json"}})
        .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
        .then(function (answer) {
          if (found) { state.map.removeLayer(found); found = null; }
          if (!answer.ok) { say(answer.body.error ? answer.body.error.message : t.outside); return; }
          var g = answer.body.grid;
          found = L.geoJSON(answer.body.boundary, {style: function () { return {color: "#c2410c", weight: 3, fillOpacity: 0.1}; }}).addTo(state.map);
          var setGrid = function () {
            if (grid) {
              if (!grid.querySelector("option[value='" + g.id + "']")) {
                var o = document.createElement("option"); o.value = String(g.id); o.textContent = g.name; grid.appendChild(o);
              }
              grid.value = String(g.id);
            }
            say(t.foundPrefix + g.community_name + " · " + g.name);
          };
          if (community && community.value !== String(g.community_id)) {
            // The community's grid list is reloaded (site.js): choose the grid once it is in.
            if (grid) { grid.addEventListener("grids-loaded", setGrid, {once: true}); }
            community.value = String(g.community_id);
            community.dispatchEvent(new Event("change", {bubbles: true}));
          } else {
            setGrid();
          }
        })
        .catch(function () { say(t.failed); });
    }

    state.map.on("click", function (e) { place(e.latlng); });
    if (lat.value && long.value) { place(L.latLng(parseFloat(lat.value), parseFloat(long.value)), true); }
    var button = box.querySelector("[data-locate]");
    if (!navigator.geolocation) { button.hidden = true; return; }
    button.addEventListener("click", function () {
      say(t.locating);
      navigator.geolocation.getCurrentPosition(function (position) {
        place(L.latLng(position.coords.latitude, position.coords.longitude), true);
      }, function () { say(t.denied); }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".map[data-map]").forEach(function (el) {
      var state = draw(el);
      var box = el.closest("[data-map-picker]");
      if (state && box) { picker(state, box); }
    });
  });
})();

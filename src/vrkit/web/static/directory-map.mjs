// The directory's map, as progressive enhancement: without JavaScript the page shows the
// server-drawn SVG map and the list; with it, the vendored Leaflet map replaces the SVG with
// the same numbered points, pan and zoom. No tiles and no remote request: the base layer is the
// borough boundaries the portal serves itself (/directory/boroughs.geojson).
function init() {
  const holder = document.getElementById("directory-map");
  const L = window.L;
  if (!holder || !L) return;
  const points = JSON.parse(holder.dataset.points || "[]");
  const origin = JSON.parse(holder.dataset.origin || "null");
  const svg = holder.querySelector("svg");
  const box = document.createElement("div");
  box.className = "vrkit-leaflet";
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", "Map of the services (the numbers match the list)");
  holder.appendChild(box);
  const map = L.map(box, { attributionControl: false, zoomSnap: 0.25 }).setView([51.49, -0.11], 10);
  fetch("/directory/boroughs.geojson", { credentials: "same-origin" })
    .then((r) => r.json())
    .then((geo) => {
      const layer = L.geoJSON(geo, {
        style: { color: "#505a5f", weight: 1, fillColor: "#f3f2f1", fillOpacity: 1 },
        onEachFeature: (f, l) => l.bindTooltip(f.properties.name, { sticky: true }),
      }).addTo(map);
      const marks = points.map((p) =>
        L.marker([p.lat, p.lon], {
          icon: L.divIcon({ className: "vrkit-map-pin", html: String(p.n), iconSize: [22, 22] }),
          title: `${p.n}. ${p.name}`,
          alt: `${p.n}. ${p.name}`,
          keyboard: false,
        })
          .bindTooltip(`${p.n}. ${p.name}`)
          .addTo(map),
      );
      if (origin) {
        L.circleMarker(origin, { radius: 6, color: "#d4351c", weight: 3, fill: false }).addTo(map);
      }
      const group = marks.length ? L.featureGroup(marks) : layer;
      map.fitBounds(group.getBounds(), { padding: [20, 20], maxZoom: 14 });
      if (svg) svg.classList.add("vrkit-map--replaced");
    })
    .catch((e) => { console.error("directory map:", e); box.remove(); });
}

if (document.readyState === "complete") init();
else window.addEventListener("load", init);

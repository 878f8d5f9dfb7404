/* The analytics page (/admin): no dependencies, nothing to build.
   The admin token is kept for this tab only (sessionStorage) and sent as a bearer token to
   GET /admin/analytics; nothing is shown without a token the service accepts. Every text that
   comes from the log (questions, comments) goes into the page as text, never as HTML. */
(() => {
  "use strict";
  const KEY = "rtes-admin-token";
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (s) => document.querySelector(s);
  const form = $("#login"), input = $("#token"), days = $("#days"), logout = $("#logout");
  const status = $("#status"), out = $("#data");
  const nf = new Intl.NumberFormat("fr-FR");
  const pct = new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: 1 });

  /** A new element; string children become text nodes, never HTML. */
  const el = (tag, attrs, ...kids) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) node.setAttribute(k, v);
    node.append(...kids.flat().filter((kid) => kid != null && kid !== ""));
    return node;
  };
  const svgEl = (tag, attrs, ...kids) => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    node.append(...kids);
    return node;
  };

  const say = (text, error = false) => {
    status.textContent = text;
    status.classList.toggle("err", error);
  };
  const hide = () => { out.replaceChildren(); out.hidden = true; };
  const num = (v) => (v == null ? "—" : nf.format(v));
  const ms = (v) => (v == null ? "—" : `${nf.format(Math.round(v))} ms`);

  const table = (caption, heads, rows) => el("table", null,
    el("caption", { class: "muted" }, caption),
    el("thead", null, el("tr", null, heads.map(([h, n]) => el("th", { scope: "col", class: n ? "n" : null }, h)))),
    el("tbody", null, rows.map((cells) => el("tr", null,
      cells.map(([c, n, cls]) => el("td", { class: [n ? "n" : "", cls || ""].join(" ").trim() || null }, c))))));

  /** Bars of `values` per day, as an image with its figures in words; the table follows. */
  const plot = (label, daysList, values, max, cls, fmt) => {
    const w = 720, h = 180, pad = 34, n = Math.max(1, daysList.length);
    const bw = Math.min(48, (w - pad - 10) / n); // a few days are bars, not walls
    const svg = svgEl("svg", { viewBox: `0 0 ${w} ${h + 30}`, role: "img", "aria-label": label });
    svg.append(svgEl("line", { x1: pad, y1: h, x2: w - 5, y2: h, class: "axis" }));
    svg.append(svgEl("text", { x: 0, y: 12 }, document.createTextNode(fmt(max))));
    daysList.forEach((d, i) => {
      const bh = max ? (values[i] / max) * (h - 20) : 0;
      svg.append(svgEl("rect", { x: pad + i * bw + 1, y: h - bh, width: Math.max(1, bw - 2),
        height: bh, class: cls }));
      if (n <= 14 || i % Math.ceil(n / 10) === 0) {
        svg.append(svgEl("text", { x: pad + i * bw, y: h + 16 }, document.createTextNode(d.slice(5))));
      }
    });
    return svg;
  };

  const perDay = (aud) => {
    const list = aud.per_day || [];
    const dayNames = list.map((d) => d.day);
    const max = Math.max(0, ...list.map((d) => d.searches));
    return el("section", { "aria-labelledby": "h-days" },
      el("h2", { id: "h-days" }, "Recherches par jour"),
      list.length ? [
        plot(`Recherches par jour, ${list.length} jours, au plus ${max}`, dayNames,
          list.map((d) => d.searches), max, "bar", num),
        el("h3", null, "Part sans réponse sûre, par jour"),
        plot("Part des recherches sans réponse sûre, par jour", dayNames,
          list.map((d) => d.share_unanswered), 1, "share", (v) => pct.format(v)),
        el("details", null, el("summary", null, "Les chiffres par jour"),
          table("Recherches publiques par jour", [["Jour"], ["Recherches", 1], ["Sans réponse sûre", 1], ["Part", 1]],
            list.map((d) => [[d.day], [num(d.searches), 1], [num(d.unanswered), 1], [pct.format(d.share_unanswered), 1]]))),
      ] : el("p", { class: "muted" }, "Aucune recherche sur la période."));
  };

  const unanswered = (aud) => el("section", { "aria-labelledby": "h-unans" },
    el("h2", { id: "h-unans" }, "Questions sans réponse sûre les plus posées"),
    aud.top_unanswered?.length
      ? table("Regroupées par texte normalisé", [["Question"], ["Fois", 1], ["Dernière fois"]],
        aud.top_unanswered.map((q) => [[q.query], [num(q.count), 1], [q.last_asked]]))
      : el("p", { class: "muted" }, "Aucune sur la période."));

  const feedback = (fb) => el("section", { "aria-labelledby": "h-fb" },
    el("h2", { id: "h-fb" }, "Réponses jugées inutiles"),
    el("p", null, `${num(fb?.helpful ?? 0)} réponse(s) jugée(s) utile(s), `
      + `${num(fb?.not_helpful ?? 0)} inutile(s).`),
    fb?.not_helpful_items?.length
      ? table("Les plus récentes d’abord", [["Jour"], ["Question"], ["Commentaire"]],
        fb.not_helpful_items.map((f) => [[f.day], [f.query || "—"], [f.comment || "—", 0, "comment"]]))
      : el("p", { class: "muted" }, "Aucune sur la période."));

  const latency = (pub, mem) => el("section", { "aria-labelledby": "h-lat" },
    el("h2", { id: "h-lat" }, "Temps de réponse"),
    table("Centiles du temps de recherche", [["Recherches"], ["p50", 1], ["p90", 1], ["p95", 1], ["p99", 1], ["max", 1]],
      [["publiques", pub], ["des membres", mem]].map(([who, a]) => [[who],
        ...["p50", "p90", "p95", "p99", "max"].map((p) => [ms(a?.latency_ms?.[p]), 1])])));

  const summary = (data) => {
    const pub = data.public || {}, mem = data.members || {};
    return el("ul", { class: "figures", "aria-label": "Chiffres de la période" },
      el("li", null, el("strong", null, num(pub.searches ?? 0)), "recherches publiques"),
      el("li", null, el("strong", null, pub.share_unanswered == null ? "—" : pct.format(pub.share_unanswered)),
        "sans réponse sûre"),
      el("li", null, el("strong", null, num(mem.searches ?? 0)), "recherches des membres (à part)"),
      el("li", null, el("strong", null, num(data.log?.dropped_total ?? 0)), "lignes perdues du journal"));
  };

  const render = (data) => {
    const pub = data.public || {};
    out.replaceChildren(
      el("p", { class: "muted" }, `Depuis le ${data.since}. Conservation : ${data.retention_days} jours.`
        + (data.error ? ` Journal illisible : ${data.error}` : "")),
      summary(data), perDay(pub), unanswered(pub), feedback(data.feedback),
      latency(pub, data.members));
    out.hidden = false;
  };

  const since = () => {
    const d = new Date(Date.now() - Number(days.value) * 86400000);
    return d.toISOString().slice(0, 10);
  };

  async function load(token) {
    hide();
    say("Chargement…");
    let res = null, body = null;
    try {
      res = await fetch(`/admin/analytics?since=${since()}`, {
        headers: { Authorization: `Bearer ${token}` }, credentials: "omit", cache: "no-store" });
      body = await res.json();
    } catch { /* shown below */ }
    if (!res) { say("Le service est injoignable.", true); return; }
    if (res.status !== 200 || !body) {
      if (res.status === 401 || res.status === 429) { sessionStorage.removeItem(KEY); logout.hidden = true; }
      say(body?.message?.fr || `Échec (HTTP ${res.status}).`, true);
      return;
    }
    sessionStorage.setItem(KEY, token);
    logout.hidden = false;
    say("");
    render(body);
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const token = input.value.trim() || sessionStorage.getItem(KEY) || "";
    input.value = "";
    if (!token) { hide(); say("Saisissez le jeton d’administration.", true); return; }
    load(token);
  });
  logout.addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    logout.hidden = true;
    hide();
    say("Jeton oublié.");
    input.focus();
  });
  const kept = sessionStorage.getItem(KEY);
  if (kept) load(kept);
})();

/* RTES search widget, no dependencies, nothing to build.
   <script src="https://HOST/widget.js" defer></script>  <rtes-search></rtes-search>
   Attributes: api (default: where this script came from), results (1-50, default 10),
   kinds ("fiche conference …"), token (member pages), result-url (default "#resource-{id}"),
   timeout (ms, default 8000), heading-level (2-4, default 2).
   Colours: --rtes-accent --rtes-text --rtes-muted --rtes-bg --rtes-surface --rtes-border
   --rtes-mark --rtes-error --rtes-font --rtes-radius. Pattern: a search form followed by a list
   of links (not a combobox: results hold links, excerpts and metadata, which options cannot). */
(() => {
  "use strict";
  if (window.customElements.get("rtes-search")) return;
  let origin;
  try { origin = new URL(document.currentScript.src).origin; } catch { origin = location.origin; }
  const SCRIPT_ORIGIN = origin;
  const MIN = 3, DEBOUNCE = 250;

  const T = {
    fr: {
      locale: "fr-FR", label: "Rechercher dans les ressources du RTES", button: "Rechercher",
      hint: "Au moins 3 caractères ; les résultats s’affichent pendant la saisie.",
      short: "Saisissez au moins 3 caractères.", loading: "Recherche en cours…",
      answer: "Réponse", source: "Source\u00a0:", results: "Résultats",
      lines: (a, b) => (a === b ? `ligne ${a}` : `lignes ${a} à ${b}`),
      page: (n) => `p.\u00a0${n}`, site: "Page du site\u00a0:",
      count: (n, q, a) => (n ? `${a ? "Une réponse et " : ""}${n} résultat${n > 1 ? "s" : ""}`
        : "Aucun résultat") + ` pour «\u00a0${q}\u00a0».`,
      closest: "Résultats les plus proches",
      unsure: "Le service n’a pas trouvé de réponse sûre à cette question. Les ressources "
        + "ci-dessous en sont les plus proches ; elles sont données à titre indicatif.",
      noneCount: (n, q) => `Aucun résultat pertinent pour «\u00a0${q}\u00a0».`
        + (n ? ` ${n} résultat${n > 1 ? "s" : ""} approchant${n > 1 ? "s" : ""}.` : ""),
      unreachable: "Le service de recherche est injoignable. Réessayez plus tard.",
      slow: "Le service de recherche ne répond pas à temps. Réessayez dans un instant.",
      failed: "La recherche a échoué.", keywords: "Mots-clés :", private: "Réservé aux membres",
      quote: ["«\u00a0", "\u00a0»"],
      helpful: "Cette réponse vous a-t-elle aidé\u00a0?", yes: "Oui", no: "Non",
      comment: "Commentaire (facultatif)", thanks: "Merci pour votre avis.",
      fbFailed: "Votre avis n’a pas pu être envoyé. Réessayez plus tard.",
      kinds: { fiche: ["Fiche", "Fiches"], conference: ["Conférence", "Conférences"],
        newsletter: ["Lettre d’information", "Lettres d’information"],
        event: ["Événement", "Événements"], article: ["Article", "Articles"],
        catalogue: ["Catalogue", "Catalogue"] },
    },
    en: {
      locale: "en-GB", label: "Search the RTES resources", button: "Search",
      hint: "At least 3 characters; results appear as you type.",
      short: "Type at least 3 characters.", loading: "Searching…",
      answer: "Answer", source: "Source:", results: "Results",
      lines: (a, b) => (a === b ? `line ${a}` : `lines ${a} to ${b}`),
      page: (n) => `p.\u00a0${n}`, site: "Web page:",
      count: (n, q, a) => (n ? `${a ? "An answer and " : ""}${n} result${n > 1 ? "s" : ""}`
        : "No results") + ` for “${q}”.`,
      closest: "Closest results",
      unsure: "The service found no reliable answer to this question. The resources below "
        + "are the closest ones, for reference only.",
      noneCount: (n, q) => `No relevant result for “${q}”.`
        + (n ? ` ${n} close result${n > 1 ? "s" : ""}.` : ""),
      unreachable: "The search service cannot be reached. Please try again later.",
      slow: "The search service is not answering in time. Please try again shortly.",
      failed: "The search failed.", keywords: "Keywords:", private: "Members only",
      quote: ["“", "”"],
      helpful: "Did this answer help you?", yes: "Yes", no: "No",
      comment: "Comment (optional)", thanks: "Thank you for your feedback.",
      fbFailed: "Your feedback could not be sent. Please try again later.",
      kinds: { fiche: ["Fact sheet", "Fact sheets"], conference: ["Conference", "Conferences"],
        newsletter: ["Newsletter", "Newsletters"], event: ["Event", "Events"],
        article: ["Article", "Articles"], catalogue: ["Catalogue", "Catalogue"] },
    },
  };

  const CSS = `
:host{--a:var(--rtes-accent,#005a8c);--t:var(--rtes-text,#1f2328);--m:var(--rtes-muted,#4d5761);
--b:var(--rtes-bg,#fff);--s:var(--rtes-surface,#f3f5f7);--l:var(--rtes-border,#767f89);
--k:var(--rtes-mark,#ffe98f);--e:var(--rtes-error,#a3001b);--r:var(--rtes-radius,6px);
display:block;font-family:var(--rtes-font,inherit);color:var(--t);background:var(--b);line-height:1.5}
*{box-sizing:border-box}[hidden]{display:none!important}
label{display:block;font-weight:700;margin-bottom:.3em}
.row{display:flex;flex-wrap:wrap;gap:.5em}
input{flex:1 1 12em;min-width:0;font:inherit;color:var(--t);background:var(--b);padding:.5em .7em;
border:2px solid var(--l);border-radius:var(--r)}
button{font:inherit;font-weight:700;color:var(--b);background:var(--a);border:2px solid var(--a);
border-radius:var(--r);padding:.5em 1em;cursor:pointer}
textarea{display:block;width:100%;font:inherit;color:var(--t);background:var(--b);padding:.4em .6em;
border:2px solid var(--l);border-radius:var(--r);margin:.2em 0 .5em;resize:vertical}
.fb{margin:.6em 0 0;padding-top:.5em;border-top:1px solid var(--l)}.fb p{margin:0 0 .3em;font-weight:700}
.fb label{font-weight:400;font-size:.9em}.thanks{margin:.4em 0 0;font-weight:700}.thanks:empty{display:none}
input:focus-visible,button:focus-visible,a:focus-visible,textarea:focus-visible,.thanks:focus-visible{outline:3px solid var(--a);outline-offset:2px}
.hint,.meta,.src,.loading{color:var(--m);font-size:.9em;margin:.3em 0}
.status{margin:.8em 0 .4em;font-weight:700}.status.err{color:var(--e)}
.out.busy{opacity:.6}
h2,h3,h4{margin:0;line-height:1.3}.out h2,.out>.h{font-size:1.15em;margin:1em 0 .4em}
h3{font-size:1.05em;margin:.9em 0 .3em;padding-bottom:.2em;border-bottom:1px solid var(--l)}
h4{font-size:1em}
ul{list-style:none;margin:0;padding:0}li{padding:.6em 0;border-bottom:1px solid var(--s)}
a{color:var(--a);text-decoration:underline}
.answer{background:var(--s);border-left:4px solid var(--a);border-radius:var(--r);padding:.6em 1em;margin:.6em 0}
blockquote{margin:.3em 0;font-size:1.05em}
.notice{border:2px dashed var(--l);border-radius:var(--r);padding:.5em 1em;margin:.6em 0}
.closest li{border-left:3px solid var(--l);padding-left:.7em}
.passage{margin:.3em 0;white-space:pre-line}.section{font-style:italic}.page{font-weight:700}
a.url{overflow-wrap:anywhere}
mark{background:var(--k);color:inherit;padding:0 .1em;border-radius:2px}
.tag{display:inline-block;border:1px solid var(--m);border-radius:var(--r);padding:0 .4em;font-size:.85em}
.spin{display:inline-block;width:.9em;height:.9em;margin-right:.4em;vertical-align:-.1em;
border:2px solid var(--l);border-top-color:var(--a);border-radius:50%;animation:r 1s linear infinite}
@keyframes r{to{transform:rotate(1turn)}}
@media (prefers-reduced-motion:reduce){.spin{animation:none}}`;

  const HTML = `<style>${CSS}</style>
<form role="search" novalidate part="form"><label for="q"></label>
<div class="row"><input id="q" type="search" name="q" autocomplete="off" spellcheck="false"
 maxlength="500" aria-describedby="hint" part="input"><button type="submit" part="button"></button></div>
<p id="hint" class="hint"></p></form>
<p class="status" role="status" aria-live="polite" aria-atomic="true"></p>
<p class="loading" hidden><span class="spin"></span><span></span></p>
<div class="out" part="results"></div>`;

  /** A new element; string children become text nodes, never HTML. */
  const el = (tag, attrs, ...kids) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) node.setAttribute(k, v);
    node.append(...kids.flat().filter((kid) => kid != null && kid !== ""));
    return node;
  };

  const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'" };
  const decode = (s) => s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e) => {
    if (e[0] !== "#") return ENTITIES[e.toLowerCase()] ?? m;
    const cp = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });

  /** The service's escaped highlight as [text, marked] pairs: split on the literal tags only. */
  const segments = (hl) => {
    const out = [];
    let marked = false;
    for (const part of String(hl).split(/(<mark>|<\/mark>)/)) {
      if (part === "<mark>") marked = true;
      else if (part === "</mark>") marked = false;
      else if (part) out.push([decode(part), marked]);
    }
    return out;
  };

  /** About `max` characters around the first match, cut at spaces. */
  const excerpt = (segs, max = 300) => {
    const full = segs.map((s) => s[0]).join("");
    if (full.length <= max) return segs;
    let first = 0, pos = 0;
    for (const [t, m] of segs) { if (m) { first = pos; break; } pos += t.length; }
    let start = Math.max(0, first - 90);
    if (start > 0) { const sp = full.indexOf(" ", start); if (sp >= 0 && sp < first) start = sp + 1; }
    let end = Math.min(full.length, start + max);
    if (end < full.length) { const sp = full.lastIndexOf(" ", end); if (sp > first) end = sp; }
    const out = [];
    pos = 0;
    for (const [t, m] of segs) {
      const a = Math.max(start, pos), b = Math.min(end, pos + t.length);
      if (a < b) out.push([t.slice(a - pos, b - pos), m]);
      pos += t.length;
    }
    if (start > 0) out.unshift(["… ", false]);
    if (end < full.length) out.push([" …", false]);
    return out;
  };

  /** A web page's address, only when it is http(s): never a javascript: link. */
  const webUrl = (u) => (typeof u === "string" && /^https?:\/\/[^\s]+$/i.test(u) ? u : null);
  /** « catalogue.pdf, p. 12, lignes 3 à 8 »: the page only for a PDF. */
  const where = (src, t) => `${src.file}, ${Number.isInteger(src.page) ? `${t.page(src.page)}, ` : ""}`
    + t.lines(src.start_line, src.end_line);
  const link = (u) => el("a", { href: u, class: "url" }, u.replace(/^https?:\/\//i, ""));

  const fmtDate = (d, locale) => {
    const m = /^(\d{4})(?:-(\d{2}))?/.exec(d || "");
    if (!m || !m[2]) return d || "";
    return new Intl.DateTimeFormat(locale, { month: "long", year: "numeric", timeZone: "UTC" })
      .format(Date.UTC(+m[1], +m[2] - 1, 1));
  };

  class RtesSearch extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      const root = this.attachShadow({ mode: "open" });
      root.innerHTML = HTML; // static markup only; index text never goes through innerHTML
      const $ = (s) => root.querySelector(s);
      this.q = $("input");
      this.status = $(".status");
      this.loading = $(".loading");
      this.out = $(".out");
      this.seq = 0;
      this.current = "";
      const t = this.t();
      $("label").textContent = t.label;
      $("button").textContent = t.button;
      $(".hint").textContent = t.hint;
      this.loading.lastChild.textContent = t.loading;
      this.q.addEventListener("input", () => this.typed());
      $("form").addEventListener("submit", (e) => { e.preventDefault(); this.now(); });
      root.addEventListener("keydown", (e) => this.key(e));
    }

    disconnectedCallback() { this.cancel(); }

    t() {
      const lang = (this.closest("[lang]")?.lang || document.documentElement.lang || "fr");
      return lang.toLowerCase().startsWith("en") ? T.en : T.fr;
    }

    typed() {
      clearTimeout(this.timer);
      const q = this.q.value.trim();
      if (q.length < MIN) { this.clear(false); return; }
      // Fired by the pause in typing: marked, so the service does not log a half-typed query.
      this.timer = setTimeout(() => this.search(q, true), DEBOUNCE);
    }

    now() {
      clearTimeout(this.timer);
      const q = this.q.value.trim();
      if (q.length < MIN) { this.clear(false); this.say(this.t().short); return; }
      this.search(q);
    }

    cancel() {
      clearTimeout(this.timer);
      this.seq++;
      this.ctrl?.abort();
      this.current = "";
      this.busy(false);
    }

    clear(all) {
      this.cancel();
      if (all) this.q.value = "";
      this.out.replaceChildren();
      this.say("");
    }

    key(e) {
      const links = [...this.out.querySelectorAll("a")];
      const at = links.indexOf(this.shadowRoot.activeElement);
      if (e.key === "Escape" && (this.q.value || links.length || this.status.textContent)) {
        e.preventDefault();
        this.q.focus(); // before the results go, so focus is never lost
        this.clear(true);
      } else if (e.key === "ArrowDown" && links.length && (e.target === this.q || at >= 0)) {
        e.preventDefault();
        links[Math.min(at + 1, links.length - 1)].focus();
      } else if (e.key === "ArrowUp" && at >= 0) {
        e.preventDefault();
        (at ? links[at - 1] : this.q).focus();
      }
    }

    say(text, error = false) {
      this.status.textContent = text;
      this.status.classList.toggle("err", error);
    }

    busy(on) {
      this.loading.hidden = !on;
      this.out.classList.toggle("busy", on);
      this.out.setAttribute("aria-busy", String(on));
    }

    async search(q, typing = false) {
      let url = null;
      try { url = this.url(q, typing); } catch { /* a bad api attribute: shown as unreachable */ }
      const token = this.getAttribute("token");
      const key = `${url}|${token}`; // attributes may change between two identical queries
      if (key === this.current) return;
      this.cancel();
      this.current = key;
      const seq = this.seq, ctrl = (this.ctrl = new AbortController());
      let late = false, status = 0, body = null, error = "";
      const timeout = Number(this.getAttribute("timeout")) || 8000;
      const timer = setTimeout(() => { late = true; ctrl.abort(); }, timeout);
      this.busy(true);
      try {
        if (!url) throw new TypeError("api");
        const res = await fetch(url, {
          signal: ctrl.signal, credentials: "omit",
          headers: token ? { Authorization: `Bearer ${token}` } : {},
        });
        status = res.status;
        body = await res.json();
      } catch {
        error = late ? "slow" : status ? "failed" : "unreachable";
      } finally {
        clearTimeout(timer);
      }
      if (seq !== this.seq) return; // a newer search (or a clear) owns the display
      this.busy(false);
      const t = this.t();
      if (error || status !== 200 || !body || !Array.isArray(body.results)) {
        this.current = "";
        const lang = t === T.en ? "en" : "fr";
        this.fail(error ? t[error] : body?.message?.[lang] || `${t.failed} (HTTP ${status})`);
        return;
      }
      this.render(q, body, t);
    }

    url(q, typing) {
      const base = (this.getAttribute("api") || SCRIPT_ORIGIN).replace(/\/+$/, "");
      const u = new URL(`${base}/api/search`, location.href);
      u.searchParams.set("q", q);
      const k = Math.min(50, Math.max(1, parseInt(this.getAttribute("results"), 10) || 10));
      u.searchParams.set("k", String(k));
      for (const kind of (this.getAttribute("kinds") || "").split(/[\s,]+/)) {
        if (kind) u.searchParams.append("kind", kind);
      }
      if (typing) u.searchParams.set("typing", "1");
      return u;
    }

    fail(message) {
      this.keepFocus(() => this.out.replaceChildren());
      this.say(message, true);
    }

    keepFocus(change) {
      const had = this.out.contains(this.shadowRoot.activeElement);
      change();
      if (had) this.q.focus();
    }

    href(id) {
      const tpl = this.getAttribute("result-url") || "#resource-{id}";
      return tpl.replace("{id}", encodeURIComponent(id));
    }

    render(q, data, t) {
      const h = Math.min(4, Math.max(2, parseInt(this.getAttribute("heading-level"), 10) || 2));
      const results = data.results, byId = new Map(results.map((r) => [r.resource.id, r]));
      const nodes = [];
      const answer = data.confident && data.answer;
      if (answer) nodes.push(this.answer(answer, byId.get(answer.resource_id), t, h, data.query_id));
      if (!data.confident) {
        if (results.length) nodes.push(el("p", { class: "notice" }, t.unsure));
      }
      if (results.length) nodes.push(this.groups(results, t, h, !data.confident));
      this.keepFocus(() => this.out.replaceChildren(...nodes));
      this.say(data.confident ? t.count(results.length, q, !!answer)
        : t.noneCount(results.length, q));
    }

    answer(answer, result, t, h, queryId) {
      const res = result?.resource;
      const passage = result?.passages.find((p) => p.id === answer.passage_id);
      const src = answer.source || passage?.source || res?.source;
      const url = webUrl(res?.url);
      return el("section", { class: "answer", "aria-labelledby": "ans" },
        el(`h${h}`, { id: "ans" }, t.answer),
        el("blockquote", null, el("p", null, t.quote[0],
          segments(answer.highlight ?? answer.text).map(([s, m]) => (m ? el("mark", null, s) : s)),
          t.quote[1])),
        res ? el("p", { class: "src" }, `${t.source} `,
          el("a", { href: this.href(res.id) }, res.title),
          src ? ` — ${where(src, t)}` : "", url ? [" — ", link(url)] : null) : null,
        queryId ? this.feedback(String(queryId), t) : null);
    }

    /** « Was this helpful? »: a comment box and two buttons; the thanks is announced. */
    feedback(queryId, t) {
      const thanks = el("p", { class: "thanks", "aria-live": "polite", tabindex: "-1" });
      const area = el("textarea", { id: "fbc", name: "comment", maxlength: "500", rows: "2" });
      const group = el("div", { class: "fb", role: "group", "aria-labelledby": "fbq" },
        el("p", { id: "fbq" }, t.helpful), el("label", { for: "fbc" }, t.comment), area);
      const buttons = [[true, t.yes], [false, t.no]].map(([helpful, label]) => {
        const b = el("button", { type: "button" }, label);
        b.addEventListener("click", () => this.sendFeedback(queryId, helpful, area.value,
          group, thanks, t));
        return b;
      });
      group.append(el("div", { class: "row" }, buttons));
      return el("div", null, group, thanks);
    }

    async sendFeedback(queryId, helpful, comment, group, thanks, t) {
      const text = comment.trim().slice(0, 500);
      let ok = false;
      try {
        const base = (this.getAttribute("api") || SCRIPT_ORIGIN).replace(/\/+$/, "");
        const res = await fetch(new URL(`${base}/api/feedback`, location.href), {
          method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ query_id: queryId, helpful, comment: text || null }),
        });
        ok = res.status === 201;
      } catch { /* said below */ }
      if (!group.isConnected) return; // a newer search replaced the answer
      if (ok) group.hidden = true;
      thanks.textContent = ok ? t.thanks : t.fbFailed;
      if (ok) thanks.focus(); // the buttons are gone: focus is never lost
    }

    groups(results, t, h, closest) {
      const byKind = new Map();
      for (const r of results) {
        if (!byKind.has(r.resource.kind)) byKind.set(r.resource.kind, []);
        byKind.get(r.resource.kind).push(r);
      }
      let i = 0;
      return el("section", { class: closest ? "closest" : null, "aria-labelledby": "res" },
        el(`h${h}`, { id: "res" }, closest ? t.closest : t.results),
        [...byKind].map(([kind, items]) => {
          const id = `g${i++}`;
          return el("section", { "aria-labelledby": id },
            el(`h${h + 1}`, { id }, `${t.kinds[kind]?.[1] || kind} (${items.length})`),
            el("ul", null, items.map((r) => this.item(r, t, h + 2))));
        }));
    }

    item(r, t, h) {
      const res = r.resource, kw = res.keywords || [], url = webUrl(res.url);
      const date = res.date ? el("time", { datetime: res.date }, fmtDate(res.date, t.locale)) : null;
      return el("li", null,
        el(`h${h}`, null, el("a", { href: this.href(res.id) }, res.title)),
        el("p", { class: "meta" }, t.kinds[res.kind]?.[0] || res.kind, date ? " · " : "", date,
        res.private ? [" · ", el("span", { class: "tag" }, t.private)] : null),
        kw.length ? el("p", { class: "meta" }, `${t.keywords} ${kw.join(", ")}`) : null,
        url ? el("p", { class: "meta" }, `${t.site} `, link(url)) : null,
        (r.passages || []).slice(0, 2).map((p) => el("p", { class: "passage" },
          Number.isInteger(p.source?.page)
            ? [el("span", { class: "page" }, t.page(p.source.page)), " — "] : null,
          p.section && !String(p.text).startsWith(p.section)
            ? [el("span", { class: "section" }, p.section), " — "] : null,
          excerpt(segments(p.highlight ?? p.text)).map(([s, m]) => (m ? el("mark", null, s) : s)))));
    }
  }

  window.customElements.define("rtes-search", RtesSearch);
})();

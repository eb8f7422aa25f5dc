/* propscan report behaviour: span popups (hover, focus, click), technique
   filters, and jumping from the span table to the text. Untrusted strings are
   only ever put into the page with textContent, never as HTML. Works on any
   page holding .ps-article fragments from propscan.render; call
   window.propscanReport.bind(root) after inserting fragments dynamically. */
(function () {
  "use strict";
  var cache = new WeakMap();
  var pop = null, popFor = null, pinned = false;

  function data(article) {
    var d = cache.get(article);
    if (!d) {
      var el = article.querySelector("script.ps-data");
      d = el ? JSON.parse(el.textContent) : { spans: [], techniques: {} };
      cache.set(article, d);
    }
    return d;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function ensurePop() {
    if (pop) return pop;
    pop = el("div", "ps-pop");
    pop.hidden = true;
    pop.setAttribute("role", "dialog");
    pop.setAttribute("aria-label", "technique details");
    pop.id = "ps-pop";
    document.body.appendChild(pop);
    return pop;
  }

  function visible(article, technique) {
    return !article.classList.contains("off-" + technique);
  }

  function show(seg, pin) {
    var article = seg.closest(".ps-article");
    if (!article) return;
    var d = data(article);
    var ids = (seg.getAttribute("data-s") || "").split(" ").filter(Boolean).map(Number);
    var min = Number(article.getAttribute("data-minconf") || 0);
    var spans = ids.map(function (i) { return d.spans[i]; }).filter(function (s) {
      return s && visible(article, s.technique) && s.score >= min;
    });
    if (!spans.length) { hide(); return; }
    if (seg.hasAttribute("title")) {  // the popup replaces the no-script tooltip
      seg.setAttribute("aria-description", seg.getAttribute("title"));
      seg.removeAttribute("title");
    }
    var p = ensurePop();
    p.textContent = "";
    var close = el("button", "ps-close", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "close");
    close.addEventListener("click", function () { hide(true); });
    p.appendChild(close);
    spans.forEach(function (s) {
      var t = d.techniques[s.technique] || {};
      var box = el("div", "ps-entry tc-" + s.technique);
      box.appendChild(el("b", null, t.label || s.technique));
      box.appendChild(el("span", "ps-muted", (t.category_label || "") + " \u00b7 confidence " + Math.round(s.score * 100) + "%"));
      if (t.definition) box.appendChild(el("p", null, t.definition));
      var quote = el("p");
      quote.appendChild(el("q", null, s.text.length > 240 ? s.text.slice(0, 240) + "\u2026" : s.text));
      box.appendChild(quote);
      if (s.evidence) {
        var ev = el("p");
        ev.appendChild(el("span", "ps-muted", "Evidence: "));
        ev.appendChild(document.createTextNode(s.evidence));
        box.appendChild(ev);
      }
      if (s.corrected) box.appendChild(el("p", "ps-fixnote", "Corrected by a reader: " + s.corrected));
      if (s.detector) box.appendChild(el("p", "ps-muted", "detector: " + s.detector));
      p.appendChild(box);
    });
    p.hidden = false;
    popFor = seg;
    pinned = !!pin;
    seg.setAttribute("aria-expanded", "true");
    place(p, seg);
  }

  function place(p, seg) {
    var r = seg.getClientRects()[0] || seg.getBoundingClientRect();
    var w = Math.min(p.offsetWidth || 300, document.documentElement.clientWidth - 8);
    var left = Math.max(4, Math.min(r.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - w - 4));
    p.style.left = left + "px";
    p.style.top = (r.bottom + window.scrollY + 6) + "px";
  }

  function hide(force) {
    if (!pop || pop.hidden) return;
    if (pinned && !force) return;
    pop.hidden = true;
    if (popFor) popFor.removeAttribute("aria-expanded");
    var back = force && popFor && pop.contains(document.activeElement) ? popFor : null;
    popFor = null;
    pinned = false;
    if (back) back.focus();
  }

  function segOf(target) {
    return target && target.closest ? target.closest("mark.ps-seg") : null;
  }

  function onKey(ev) {
    if (ev.key === "Escape") { hide(true); return; }
    var seg = segOf(ev.target);
    if (seg && (ev.key === "Enter" || ev.key === " ")) {
      ev.preventDefault();
      if (popFor === seg && pinned) hide(true); else show(seg, true);
    }
  }

  function setFilter(article, technique, on) {
    article.classList.toggle("off-" + technique, !on);
    article.querySelectorAll("input.ps-filter").forEach(function (box) {
      if (box.getAttribute("data-t") === technique) box.checked = on;
    });
  }

  function scopeArticles(box) {
    if (box.getAttribute("data-scope") === "all") {
      var root = box.closest(".ps-report") || document;
      return Array.prototype.slice.call(root.querySelectorAll(".ps-article"));
    }
    var a = box.closest(".ps-article");
    return a ? [a] : [];
  }

  // the confidence control: spans below the chosen probability lose their highlight (and their table row)
  function setMinConf(article, min) {
    var d = data(article);
    article.querySelectorAll("mark.ps-seg").forEach(function (m) {
      var ids = (m.getAttribute("data-s") || "").split(" ").filter(Boolean).map(Number);
      var kept = ids.filter(function (i) { return d.spans[i] && d.spans[i].score >= min; });
      ids.forEach(function (i) {
        var s = d.spans[i];
        if (s) m.classList.toggle("u" + s.layer + "-" + s.technique, kept.indexOf(i) >= 0);
      });
      m.classList.toggle("ps-low", !kept.length);
    });
    article.querySelectorAll(".ps-spans tr[data-i]").forEach(function (row) {
      var s = d.spans[Number(row.getAttribute("data-i"))];
      row.hidden = !!s && s.score < min;
    });
    article.setAttribute("data-minconf", String(min));
    article.querySelectorAll("input.ps-minconf").forEach(function (r) { syncRange(r, min); });
  }

  function syncRange(range, min) {
    range.value = String(Math.round(min * 100));
    var out = range.parentNode.querySelector("output");
    if (out) out.textContent = Math.round(min * 100) + "%";
  }

  function onRange(ev) {
    var r = ev.target;
    if (!r.matches || !r.matches("input.ps-minconf")) return;
    var min = Number(r.value) / 100;
    syncRange(r, min);
    scopeArticles(r).forEach(function (a) { setMinConf(a, min); });
    if (popFor) show(popFor, pinned);
  }

  function onChange(ev) {
    var box = ev.target;
    if (box.matches && box.matches("input.ps-minconf")) { onRange(ev); return; }
    if (!box.matches || !box.matches("input.ps-filter")) return;
    var t = box.getAttribute("data-t");
    scopeArticles(box).forEach(function (a) { setFilter(a, t, box.checked); });
    if (popFor) show(popFor, pinned);
  }

  function onClick(ev) {
    var t = ev.target;
    var btn = t.closest ? t.closest("button") : null;
    if (btn && btn.classList.contains("ps-goto")) { goTo(btn); return; }
    if (btn && btn.hasAttribute("data-all")) {
      var on = btn.getAttribute("data-all") === "on";
      var scope = btn.closest(".ps-legend");
      scope.querySelectorAll("input.ps-filter").forEach(function (box) {
        box.checked = on;
        scopeArticles(box).forEach(function (a) { setFilter(a, box.getAttribute("data-t"), on); });
      });
      return;
    }
    var seg = segOf(t);
    if (seg) { show(seg, true); return; }
    if (pop && !pop.contains(t)) hide(true);
  }

  function goTo(btn) {
    var article = btn.closest(".ps-article");
    var i = btn.getAttribute("data-i");
    article.querySelectorAll("mark.ps-on").forEach(function (m) { m.classList.remove("ps-on"); });
    var segs = Array.prototype.filter.call(article.querySelectorAll("mark.ps-seg"), function (m) {
      return (" " + m.getAttribute("data-s") + " ").indexOf(" " + i + " ") >= 0;
    });
    segs.forEach(function (m) { m.classList.add("ps-on"); });
    if (segs.length) {
      var s = data(article).spans[Number(i)];
      if (s) setFilter(article, s.technique, true);
      segs[0].scrollIntoView({ block: "center" });
      segs[0].focus({ preventScroll: true });
      show(segs[0], true);
    }
  }

  function bind(root) {
    root = root || document;
    if (root.__psBound) return;
    root.__psBound = true;
    root.addEventListener("click", onClick);
    root.addEventListener("change", onChange);
    root.addEventListener("input", onRange);
    root.addEventListener("keydown", onKey);
    root.addEventListener("mouseover", function (ev) {
      var seg = segOf(ev.target);
      if (seg && !pinned && seg !== popFor) show(seg, false);
    });
    root.addEventListener("mouseout", function (ev) {
      var seg = segOf(ev.target);
      if (seg && !pinned && !(ev.relatedTarget && (segOf(ev.relatedTarget) === seg || (pop && pop.contains(ev.relatedTarget))))) hide();
    });
    root.addEventListener("focusin", function (ev) {
      var seg = segOf(ev.target);
      if (seg && seg !== popFor) { pinned = false; show(seg, false); }
    });
    root.addEventListener("focusout", function (ev) {
      var seg = segOf(ev.target);
      if (seg && !pinned && !(ev.relatedTarget && pop && pop.contains(ev.relatedTarget))) hide();
    });
    window.addEventListener("resize", function () { if (popFor && pop && !pop.hidden) place(pop, popFor); });
  }

  window.propscanReport = { bind: bind, show: show, hide: hide };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { bind(document); });
  else bind(document);
})();

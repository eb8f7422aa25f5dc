/* propscan web app: small conveniences on top of plain forms (everything works without it).
   - Analyze page: show that the analysis is running.
   - Article page: clicking a highlighted passage picks it in the correction form; selecting
     text offers to report it as a missed span (its paragraph line and offset go along as a hint).
   Untrusted text is only ever set with textContent. */
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  function analyzePage() {
    var form = document.getElementById("analyze-form");
    if (!form) return;
    form.addEventListener("submit", function () {
      var busy = form.querySelector(".busy");
      if (busy) busy.hidden = false;
      var btn = document.getElementById("analyze-button");
      if (btn) btn.disabled = true;
    });
  }

  function articlePage() {
    var body = document.getElementById("article-body");
    if (!body) return;
    var bar = document.getElementById("fb-bar");
    var barText = document.getElementById("fb-bar-text");
    var go = document.getElementById("fb-bar-go");
    var select = document.getElementById("fb-span-select");
    var quote = document.getElementById("fb-quote");
    var pending = null; // {text, line, pos} of the last selection

    function showBar(text, target) {
      barText.textContent = text;
      go.setAttribute("href", target);
      bar.hidden = false;
    }

    body.addEventListener("click", function (ev) {
      var seg = ev.target.closest ? ev.target.closest("mark.ps-seg") : null;
      if (!seg || !select) return;
      var first = (seg.getAttribute("data-s") || "").split(" ").filter(Boolean)[0];
      if (first === undefined) return;
      select.value = first;
      var opt = select.options[select.selectedIndex];
      showBar("Picked " + (opt ? opt.textContent : "span") + ".", "#fb-span");
    });

    function selectionInfo() {
      var sel = window.getSelection();
      if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
      var text = sel.toString().trim();
      if (!text) return null;
      var range = sel.getRangeAt(0);
      var node = range.startContainer.nodeType === 1 ? range.startContainer : range.startContainer.parentNode;
      var ptext = node.closest ? node.closest(".ps-ptext") : null;
      if (!ptext || !body.contains(ptext)) return null;
      var par = ptext.closest(".ps-par");
      var m = par && par.id ? /-l(\d+)$/.exec(par.id) : null;
      var before = document.createRange();
      before.selectNodeContents(ptext);
      before.setEnd(range.startContainer, range.startOffset);
      var lead = sel.toString().length - sel.toString().replace(/^\s+/, "").length;
      return { text: text, line: m ? m[1] : "", pos: String(before.toString().length + lead) };
    }

    document.addEventListener("selectionchange", function () {
      var info = selectionInfo();
      if (!info) return;
      pending = info;
      var short = info.text.length > 60 ? info.text.slice(0, 60) + "\u2026" : info.text;
      showBar("Report \u201c" + short + "\u201d as missed?", "#fb-add");
    });

    go.addEventListener("click", function () {
      if (go.getAttribute("href") === "#fb-add" && pending && quote) {
        quote.value = pending.text;
        document.getElementById("fb-line").value = pending.line;
        document.getElementById("fb-pos").value = pending.pos;
        var sel = window.getSelection();
        if (sel) sel.removeAllRanges();  // or the still-selected text would bring the bar back
      }
      bar.hidden = true;
    });

    if (quote) quote.addEventListener("input", function () {
      // a typed or pasted passage has no position hint
      if (!pending || quote.value !== pending.text) {
        document.getElementById("fb-line").value = "";
        document.getElementById("fb-pos").value = "";
      }
    });
  }

  onReady(function () { analyzePage(); articlePage(); });
})();

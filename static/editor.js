// iarss editor: live lint while typing (debounced POST /api/v1/lint in the session),
// line numbers, and Save disabled while an error stands. The form works without it.
(function () {
  "use strict";
  var form = document.getElementById("edit-form");
  var editor = document.getElementById("editor");
  var list = document.getElementById("live-diagnostics");
  var gutter = document.getElementById("gutter");
  var save = document.getElementById("save");
  var status = document.getElementById("lint-status");
  var meta = document.querySelector('meta[name="form-token"]');
  if (!form || !editor || !list || !meta) { return; }
  var token = meta.getAttribute("content");
  var domain = form.getAttribute("data-domain") || "";
  var timer = null;
  var sent = 0;

  function numbers() {
    if (!gutter) { return; }
    var n = editor.value.split("\n").length;
    var out = [];
    for (var i = 1; i <= n; i++) { out.push(i); }
    gutter.textContent = out.join("\n") + "\n";
    gutter.scrollTop = editor.scrollTop;
  }

  function collect(doc) {
    var all = [];
    (doc.inputs || []).forEach(function (input) {
      (input.diagnostics || []).forEach(function (d) { all.push(d); });
      (input.articles || []).forEach(function (a) {
        (a.diagnostics || []).forEach(function (d) { all.push(d); });
      });
    });
    return all;
  }

  function show(diagnostics) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var errors = 0;
    diagnostics.forEach(function (d) {
      if (d.severity === "error") { errors++; }
      var li = document.createElement("li");
      li.className = d.severity;
      var a = document.createElement("a");
      a.href = "/rules/" + encodeURIComponent(d.rule);
      a.textContent = d.rule;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" "));
      var pos = document.createElement("span");
      pos.className = "pos";
      pos.textContent = (d.line || 0) + ":" + (d.column || 0);
      li.appendChild(pos);
      li.appendChild(document.createTextNode(" " + d.message));
      list.appendChild(li);
    });
    save.disabled = errors > 0;
    if (status) {
      status.textContent = errors > 0
        ? errors + " error(s): fix them to save."
        : diagnostics.length + " warning(s); no error.";
    }
  }

  function lint() {
    var mine = ++sent;
    fetch("/api/v1/lint?domain=" + encodeURIComponent(domain), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-Iarss-Form-Token": token, "Content-Type": "text/html" },
      body: editor.value
    }).then(function (r) {
      if (!r.ok) { throw new Error("lint answered " + r.status); }
      return r.json();
    }).then(function (doc) {
      if (mine === sent) { show(collect(doc)); }
    }).catch(function () {
      if (status && mine === sent) { status.textContent = "Live check unavailable; Save still checks."; }
    });
  }

  editor.addEventListener("input", function () {
    numbers();
    clearTimeout(timer);
    timer = setTimeout(lint, 400);
  });
  editor.addEventListener("scroll", function () { if (gutter) { gutter.scrollTop = editor.scrollTop; } });
  numbers();
  lint();
})();

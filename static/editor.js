// iarss editor: live lint while typing (debounced POST /api/v1/lint in the session), line
// numbers with each diagnostic's line marked, a click on a diagnostic's line:column puts
// the cursor there, a "Format" action for articles on one line, and Save disabled while an
// error stands. The form works without it (the server checks on Save).
(function () {
  "use strict";
  var form = document.getElementById("edit-form");
  var editor = document.getElementById("editor");
  var list = document.getElementById("live-diagnostics");
  var gutter = document.getElementById("gutter");
  var save = document.getElementById("save");
  var format = document.getElementById("format");
  var status = document.getElementById("lint-status");
  var meta = document.querySelector('meta[name="form-token"]');
  if (!form || !editor || !list || !meta) { return; }
  var token = meta.getAttribute("content");
  var domain = form.getAttribute("data-domain") || "";
  var timer = null;
  var sent = 0;
  var marks = {};

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  // The gutter: one line number a line, those with a diagnostic marked by its severity.
  function numbers() {
    if (!gutter) { return; }
    var n = editor.value.split("\n").length;
    while (gutter.firstChild) { gutter.removeChild(gutter.firstChild); }
    for (var i = 1; i <= n; i++) {
      var span = document.createElement("span");
      if (marks[i]) { span.className = "mark-" + marks[i]; }
      span.textContent = i + "\n";
      gutter.appendChild(span);
    }
    gutter.scrollTop = editor.scrollTop;
    if (format) { format.hidden = n > 3 || editor.value.length < 200; }
  }

  // Puts the cursor at line:column (1-based) and scrolls it into view.
  function jump(line, column) {
    var lines = editor.value.split("\n");
    line = Math.max(1, Math.min(line, lines.length));
    var offset = 0;
    for (var i = 0; i < line - 1; i++) { offset += lines[i].length + 1; }
    offset += Math.max(0, Math.min(column - 1, lines[line - 1].length));
    editor.focus();
    editor.setSelectionRange(offset, offset);
    var lh = parseFloat(getComputedStyle(editor).lineHeight) || 18;
    editor.scrollTop = Math.max(0, (line - 1) * lh - editor.clientHeight / 3);
    var cw = 7.8;
    editor.scrollLeft = Math.max(0, (column - 1) * cw - editor.clientWidth / 2);
    if (gutter) { gutter.scrollTop = editor.scrollTop; }
  }

  // A message with its `code` parts, as text nodes (never parsed as HTML).
  function message(text, into) {
    text.split("`").forEach(function (part, i) {
      if (i % 2 === 1) {
        var code = document.createElement("code");
        code.textContent = part;
        into.appendChild(code);
      } else {
        into.appendChild(document.createTextNode(part));
      }
    });
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

  function positionButton(line, column) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "pos jump";
    b.textContent = line + ":" + column;
    b.setAttribute("aria-label", "Go to line " + line + ", column " + column);
    b.addEventListener("click", function () { jump(line, column); });
    return b;
  }

  function show(diagnostics) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var errors = 0;
    marks = {};
    diagnostics.sort(function (a, b) {
      return (a.severity === "error" ? 0 : 1) - (b.severity === "error" ? 0 : 1)
        || (a.line || 0) - (b.line || 0);
    });
    diagnostics.forEach(function (d) {
      if (d.severity === "error") { errors++; }
      if (d.line) {
        marks[d.line] = marks[d.line] === "error" ? "error" : d.severity;
      }
      var li = document.createElement("li");
      li.className = d.severity;
      var badge = document.createElement("span");
      badge.className = "badge " + d.severity;
      badge.textContent = d.severity;
      li.appendChild(badge);
      li.appendChild(document.createTextNode(" "));
      var a = document.createElement("a");
      a.href = "/rules/" + encodeURIComponent(d.rule);
      a.textContent = d.rule;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" "));
      if (d.line) { li.appendChild(positionButton(d.line, d.column || 1)); }
      li.appendChild(document.createTextNode(" "));
      message(d.message || "", li);
      list.appendChild(li);
    });
    numbers();
    save.disabled = errors > 0;
    if (status) {
      var warnings = diagnostics.length - errors;
      status.textContent = errors > 0
        ? plural(errors, "error", "errors") + ", " + plural(warnings, "warning", "warnings") + ": fix the errors to save."
        : (warnings > 0 ? plural(warnings, "warning", "warnings") + "; no error." : "No error and no warning.");
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

  // One element a line: a line break before each block-level tag of an article.
  function formatted(html) {
    return html.replace(/\s*(<\/?(?:html|head|body|article|header|footer|section|figure|figcaption|aside|blockquote|p|h1|h2|h3|h4|ul|ol|li|meta|link|title|time|address|iframe|video|audio|img|script|div|table|tr|cite)\b[^>]*>)/gi, "\n$1").replace(/^\n/, "");
  }

  // Server-rendered diagnostics get their jump buttons too.
  Array.prototype.forEach.call(list.querySelectorAll("span.pos[data-line]"), function (span) {
    var line = parseInt(span.getAttribute("data-line"), 10);
    var column = parseInt(span.getAttribute("data-column"), 10) || 1;
    if (line > 0) { span.parentNode.replaceChild(positionButton(line, column), span); }
  });

  editor.addEventListener("input", function () {
    numbers();
    clearTimeout(timer);
    timer = setTimeout(lint, 400);
  });
  editor.addEventListener("scroll", function () { if (gutter) { gutter.scrollTop = editor.scrollTop; } });
  if (format) {
    format.addEventListener("click", function () {
      editor.value = formatted(editor.value);
      editor.dispatchEvent(new Event("input"));
    });
  }
  numbers();
  lint();
})();

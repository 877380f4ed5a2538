// Inline validation of a watch query: the server parses it and names the position of an error.
(function () {
  var input = document.getElementById("query");
  var out = document.getElementById("query-check");
  if (!input || !out) return;
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!input.value.trim()) { out.textContent = ""; out.className = "muted"; return; }
      fetch("/watches/check?query=" + encodeURIComponent(input.value), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (r) {
          out.textContent = r.ok ? "Query is valid." : r.error;
          out.className = r.ok ? "status-ok" : "status-bad";
          input.setAttribute("aria-invalid", r.ok ? "false" : "true");
        });
    }, 250);
  });
})();

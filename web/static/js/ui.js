// Secuird hosted pages: small progressive enhancements. Everything works
// without this file; with it, copy buttons appear next to secrets.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    var target = document.getElementById(btn.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) { return; }
    btn.hidden = false;
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        var label = btn.getAttribute("data-copied") || "Copied";
        // Keep the button's own nodes (a visually hidden label included).
        var before = Array.prototype.map.call(btn.childNodes, function (n) { return n.cloneNode(true); });
        btn.textContent = label;
        setTimeout(function () { btn.replaceChildren.apply(btn, before); }, 2000);
      });
    });
  });
})();

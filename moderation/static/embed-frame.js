/* Inside the iframe: tell the embedding page how tall the content is, whenever it changes;
   ask it to bring the part the reader must see next into view; open links that leave the
   widget in a new tab. The message carries only a height, a scroll offset and the title. */
(function () {
  "use strict";
  if (window.parent === window) return;  // opened on its own: an ordinary page
  var root = document.documentElement;
  var main = document.getElementById("main");
  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  var sent = -1;

  root.setAttribute("data-framed", "");
  function scheme() {
    if (root.classList.contains("theme-auto")) root.classList.toggle("theme-dark", dark.matches);
  }
  scheme();
  if (dark.addEventListener) dark.addEventListener("change", scheme);

  function tell(scroll) {
    var height = Math.ceil(main.getBoundingClientRect().height);
    if (height === sent && scroll === undefined) return;
    sent = height;
    var message = { type: "moderation:size", height: height, title: document.title };
    if (scroll !== undefined) message.scroll = scroll;
    window.parent.postMessage(message, "*");
  }

  function focusTarget() {
    // After sending the form: the error summary, the preview or the outcome of placing.
    var id = location.hash.slice(1);
    var target = document.querySelector(".error-summary") ||
      (main.getAttribute("data-page") === "preview" ? main : null) ||
      (id && document.getElementById(id));
    return target;
  }

  new ResizeObserver(function () { tell(); }).observe(main);
  window.addEventListener("load", function () {
    var target = focusTarget();
    if (target) {
      tell(Math.max(0, Math.floor(target.getBoundingClientRect().top + window.scrollY)));
      if (target !== main) target.focus({ preventScroll: true });
    } else {
      tell();
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link) return;
    var inside = link.origin === location.origin && link.pathname.indexOf("/embed/") === 0;
    if (!inside) {
      link.target = "_blank";
      link.rel = "noopener";
    }
  });
})();

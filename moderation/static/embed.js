/* Embeds posts and their reactions:
   <script src="https://…/embed.js" data-post="blog/post" async></script>
   Each such script tag gets an iframe after it, sized to its content by the frame's messages.
   Optional: data-view="comments", data-theme="light|dark|auto", data-accent, data-background,
   data-text (#rgb or #rrggbb), data-font, data-radius (pixels), data-lang="nl|en",
   data-title (the iframe's accessible name until the widget names itself). */
(function () {
  "use strict";
  var self = document.currentScript;
  var src = self ? self.src : "";
  if (!src) {
    var found = document.querySelectorAll("script[src$='/embed.js'][data-post]");
    src = found.length ? found[found.length - 1].src : "";
  }
  if (!src) return;
  var origin = new URL(src, location.href).origin;
  var frames = [];
  var SETTINGS = ["view", "theme", "accent", "background", "text", "font", "radius", "lang"];
  var TITLE = { nl: "Reacties", en: "Reactions" };

  function setUp(script) {
    if (script.hasAttribute("data-embedded")) return;
    if (new URL(script.src, location.href).origin !== origin) return;
    var post = script.getAttribute("data-post") || "";
    if (!/^[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/.test(post)) return;
    script.setAttribute("data-embedded", "");
    var query = new URLSearchParams();
    SETTINGS.forEach(function (name) {
      var value = script.getAttribute("data-" + name);
      if (value) query.set(name, value);
    });
    var lang = script.getAttribute("data-lang") || document.documentElement.lang || "nl";
    var frame = document.createElement("iframe");
    frame.src = origin + "/embed/" + post + (query.toString() ? "?" + query : "");
    frame.title = script.getAttribute("data-title") || TITLE[lang.slice(0, 2)] || TITLE.nl;
    frame.setAttribute("scrolling", "no");
    frame.style.display = "block";
    frame.style.width = "100%";
    frame.style.height = "400px";
    frame.style.border = "0";
    frame.style.overflow = "hidden";
    script.parentNode.insertBefore(frame, script.nextSibling);
    frames.push(frame);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin) return;
    var data = event.data;
    if (!data || data.type !== "moderation:size" || typeof data.height !== "number") return;
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow !== event.source) continue;
      frame.style.height = Math.max(0, Math.min(Math.ceil(data.height), 100000)) + "px";
      if (typeof data.title === "string" && data.title) frame.title = data.title.slice(0, 200);
      if (typeof data.scroll === "number") {
        var top = frame.getBoundingClientRect().top + window.scrollY + data.scroll;
        window.scrollTo(0, Math.max(0, top - 16));
      }
    }
  });

  var scripts = document.querySelectorAll("script[data-post]");
  for (var i = 0; i < scripts.length; i++) setUp(scripts[i]);
})();

// Keyboard shortcuts for the moderation queue: j/k move, p publish, r remove, s spam.
// Announced on the page, switchable off, and never active while typing in a field.
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll(".queue-item"));
  var toggle = document.getElementById("shortcuts-on");
  var live = document.getElementById("shortcut-status");
  if (!items.length || !toggle) { return; }
  var KEY = "moderation-shortcuts";
  toggle.checked = window.localStorage.getItem(KEY) !== "off";
  toggle.addEventListener("change", function () {
    window.localStorage.setItem(KEY, toggle.checked ? "on" : "off");
  });
  var current = -1;

  function focusItem(index) {
    current = Math.max(0, Math.min(items.length - 1, index));
    var item = items[current];
    item.focus();
    item.scrollIntoView({ block: "nearest" });
    var name = item.querySelector(".queue-name");
    live.textContent = (current + 1) + " / " + items.length + ": " + (name ? name.textContent : "");
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName) && target.type !== "checkbox");
  }

  document.addEventListener("keydown", function (event) {
    if (!toggle.checked || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
    var at = items.indexOf(document.activeElement.closest ? document.activeElement.closest(".queue-item") : null);
    if (at >= 0) { current = at; }
    if (event.key === "j") { focusItem(current + 1); event.preventDefault(); return; }
    if (event.key === "k") { focusItem(current - 1); event.preventDefault(); return; }
    if (current < 0 || "prs".indexOf(event.key) < 0) { return; }
    var button = items[current].querySelector('[data-key="' + event.key + '"]');
    if (!button) { return; }
    event.preventDefault();
    if (event.key === "r") {
      var reason = items[current].querySelector('input[name="reason"]');
      if (reason && !reason.value) { reason.focus(); live.textContent = reason.labels[0].textContent; return; }
    }
    button.click();
  });
})();

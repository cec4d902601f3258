// The header's links fold behind a "菜单 / Menu" button on narrow screens (static/layout.css says how narrow).
// Without this script the button stays hidden and the links stay open, so nothing is ever out of reach.
(function () {
  "use strict";
  var header = document.querySelector("header.top");
  var button = header && header.querySelector(".menu-toggle");
  if (!button) {
    return;
  }
  function set(open) {
    header.dataset.menu = open ? "open" : "closed";
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  set(false);
  button.hidden = false;
  button.addEventListener("click", function () {
    set(header.dataset.menu !== "open");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && header.dataset.menu === "open") {
      set(false);
      button.focus();
    }
  });
}());

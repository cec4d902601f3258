// Follow-ups, the client phone and a sending broadcast's report refresh themselves: every element with data-poll="URL" is replaced, every
// few seconds, by what URL answers (a fragment; or a whole page, of which the element with the same id is
// taken). A canned-answer select with data-fill="ID" copies the chosen answer into that textarea.
// Without JavaScript the pages still work: they just need a reload.
(function () {
  "use strict";
  var INTERVAL = 5000;

  function pick(target, html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var same = target.id ? template.content.querySelector("#" + CSS.escape(target.id)) : null;
    return same ? same.innerHTML : template.innerHTML;
  }

  function poll(target) {
    var busy = false;
    setInterval(function () {
      if (busy || document.hidden) { return; }
      busy = true;
      fetch(target.dataset.poll, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
        .then(function (response) {
          // a redirect means the sign-in expired: keep what is shown rather than the sign-in page
          if (!response.ok || response.redirected) { throw new Error(response.status); }
          return response.text();
        })
        .then(function (html) {
          var fresh = pick(target, html);
          if (fresh.trim() !== target.innerHTML.trim()) { target.innerHTML = fresh; }
        })
        .catch(function () { /* try again on the next round */ })
        .then(function () { busy = false; });
    }, INTERVAL);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-poll]"), poll);

  Array.prototype.forEach.call(document.querySelectorAll("select[data-fill]"), function (select) {
    var area = document.getElementById(select.dataset.fill);
    if (!area) { return; }
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (option && option.dataset.body) { area.value = option.dataset.body; area.focus(); }
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll(".js-hide"), function (element) {
    element.hidden = true;
  });
}());

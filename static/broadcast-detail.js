// A broadcast's page. The schedule form asks before "send now" (naming the recipients and the cost: the text is
// in data-confirm-now; static/forms.js asks whatever data-confirm holds when the form is sent). While the
// broadcast is scheduled, sending or paused, the page follows it without a reload: the state badge, the
// state note and the flash, the progress bar, its counts and times, and (when anything moved) the controls
// and the delivery report, taken from the page again. Without JavaScript the page still works on a reload.
(function () {
  "use strict";
  var INTERVAL = 2000;
  var AFTER = 300;  // rounds (10 minutes) to keep reading delivery reports after the last hand-over

  var form = document.getElementById("schedule-form");
  if (form) {
    form.addEventListener("change", function (event) {
      if (event.target.name !== "when") { return; }
      if (event.target.value === "now") {
        form.dataset.confirm = form.dataset.confirmNow;
      } else {
        delete form.dataset.confirm;
      }
    });
  }

  var box = document.getElementById("progress");
  var source = document.getElementById("progress-url");
  if (!box || !source || box.dataset.live !== "1") { return; }
  var url = JSON.parse(source.textContent) + "?ids=" + encodeURIComponent(box.dataset.id);
  var seen = null;
  var state = null;

  function setText(selector, text) {
    Array.prototype.forEach.call(box.querySelectorAll(selector), function (node) { node.textContent = text; });
  }

  function show(item) {
    var badge = document.getElementById("state-badge");
    if (badge) {
      badge.textContent = item.state_label;
      badge.className = "badge state-" + item.state;
    }
    var bar = document.getElementById("progress-bar");
    bar.max = Math.max(item.recipients, 1);
    bar.value = item.handed_over;
    bar.textContent = item.handed_over + " / " + item.recipients;
    ["handed_over", "recipients", "delivered", "undelivered", "failed"].forEach(function (name) {
      setText('[data-count="' + name + '"]', String(item[name]));
    });
    ["started_at", "finished_at"].forEach(function (name) {
      setText('[data-time="' + name + '"]', item[name] || "—");
    });
    if (state !== null && state !== item.state) {
      // the flash said what the last action did ("Sending now ..."): the state note below says where the
      // broadcast is now, so the flash goes rather than say it a second time
      Array.prototype.forEach.call(document.querySelectorAll("main > .flash.success"), function (flash) {
        flash.remove();
      });
    }
    document.getElementById("state-note").textContent = item.state_note;
    state = item.state;
    box.dataset.state = item.state;
    box.dataset.live = item.live ? "1" : "0";
  }

  function refreshParts() {
    return fetch(window.location.pathname, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (response) {
        // a redirect means the sign-in expired: keep what is shown rather than the sign-in page
        if (!response.ok || response.redirected) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        Array.prototype.forEach.call(document.querySelectorAll("[data-follow]"), function (here) {
          var fresh = page.getElementById(here.id);
          if (fresh) { here.innerHTML = fresh.innerHTML; }
        });
      });
  }

  function round() {
    fetch(url, {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok || response.redirected) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        var item = data[box.dataset.id];
        if (!item) { return null; }
        var key = JSON.stringify(item);
        var moved = seen === null ? item.state !== state || String(item.handed_over) !== box.dataset.handedOver
          : key !== seen;
        seen = key;
        show(item);
        return moved ? refreshParts().then(function () { return item; }) : item;
      })
      .catch(function () { return {live: true}; /* try again on the next round */ })
      .then(function (item) {
        if (item && (item.live || (item.awaiting && AFTER-- > 0))) { window.setTimeout(round, INTERVAL); }
      });
  }

  state = box.dataset.state || null;
  round();
}());

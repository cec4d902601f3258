// The broadcast list refreshes the state and progress of broadcasts that are scheduled, sending or paused,
// every few seconds, so nobody has to reload the page while a send goes out.
(function () {
  "use strict";
  var url = JSON.parse(document.getElementById("progress-url").textContent);
  function live() {
    return Array.prototype.slice.call(document.querySelectorAll('[data-live="1"]'));
  }
  function refresh() {
    var cells = live();
    if (!cells.length) { return; }
    var ids = cells.map(function (cell) { return cell.dataset.progress; }).join(",");
    fetch(url + "?ids=" + ids, {credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        cells.forEach(function (cell) {
          var item = data[cell.dataset.progress];
          if (!item) { return; }
          cell.textContent = item.handed_over + " / " + item.recipients + " · ✓ " + item.delivered;
          var badge = document.querySelector('[data-state="' + cell.dataset.progress + '"]');
          badge.textContent = item.state_label;
          badge.className = "badge state-" + item.state;
          if (["scheduled", "sending", "paused"].indexOf(item.state) === -1) { cell.dataset.live = "0"; }
        });
      })
      .catch(function () { /* try again on the next round */ });
  }
  refresh();
  setInterval(refresh, 3000);
}());

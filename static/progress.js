// The broadcast list refreshes the state and progress of broadcasts that are scheduled, sending or paused (and
// of those whose delivery reports are still coming in) every few seconds, so nobody has to reload the page
// while a send goes out. The words come from the page (#progress-words), in the reader's language.
(function () {
  "use strict";
  var url = JSON.parse(document.getElementById("progress-url").textContent);
  var words = JSON.parse(document.getElementById("progress-words").textContent);
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_all, name) { return String(values[name]); });
  }
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
          var values = {handed: item.handed_over, delivered: item.delivered, total: item.recipients};
          cell.textContent = !item.recipients ? "" : (item.live ? fill(words.handed, values) + " · " : "")
            + fill(words.delivered, values);
          var badge = document.querySelector('[data-state="' + cell.dataset.progress + '"]');
          badge.textContent = item.state_label;
          badge.className = "badge state-" + item.state;
          if (!item.live && !item.awaiting) { cell.dataset.live = "0"; }
        });
      })
      .catch(function () { /* try again on the next round */ });
  }
  refresh();
  setInterval(refresh, 3000);
}());

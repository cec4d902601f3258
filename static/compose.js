// The compose page's running preview: after each pause in typing, the form is sent to the server, which
// renders the SMS, counts segments (sms.segments, the same code that bills), counts the audience per tier
// and runs the compliance checks. Nothing is counted in the browser, so the page never disagrees with the send.
(function () {
  "use strict";
  var form = document.getElementById("compose");
  if (!form) { return; }
  var tierLabels = JSON.parse(document.getElementById("tier-labels").textContent);
  var exclusionLabels = JSON.parse(document.getElementById("exclusion-labels").textContent);
  var riskLevel = document.getElementById("risk-level");
  var riskDefaults = JSON.parse(riskLevel.dataset.defaults);
  var tierOrder = Array.prototype.map.call(form.querySelectorAll('input[name="tiers"]'),
                                           function (box) { return box.value; });
  var suggestion = document.getElementById("suggestion-fields");
  var kind = document.getElementById("kind");
  var timer = null;
  var latest = 0;

  function $(id) { return document.getElementById(id); }

  function showSuggestion() {
    suggestion.hidden = kind.value !== "trade_suggestion";
  }

  // a kind's default risk level is also its least: the levels below it are not offered; a level left at the
  // previous kind's default follows the new kind's, and one the new kind does not allow moves up to its
  // default (the server refuses a lower one in any case); a level the author raised stays
  var shownKind = kind.value;
  function fitRiskLevel() {
    var least = riskDefaults[kind.value] || "R1";
    Array.prototype.forEach.call(riskLevel.options, function (option) {
      option.disabled = option.value < least;
    });
    if (riskLevel.value < least || riskLevel.value === riskDefaults[shownKind]) { riskLevel.value = least; }
    shownKind = kind.value;
  }

  function render(data) {
    var problems = $("pv-problems");
    problems.textContent = "";
    function problem(text) {
      var li = document.createElement("li");
      li.textContent = text;
      problems.appendChild(li);
    }
    if (data.error) {
      problem(data.error);
      return;
    }
    $("pv-text").textContent = data.text;
    $("pv-recipients").textContent = data.recipients;
    $("pv-characters").textContent = data.characters;
    $("pv-encoding").textContent = data.encoding;
    $("pv-segments").textContent = data.segments;
    $("pv-total").textContent = data.total_segments;
    $("pv-cost").textContent = data.cost_display || data.cost;
    $("pv-seconds").textContent = data.send_seconds;
    var parts = [];
    // by rank, as the tier boxes are listed (the JSON's keys come sorted by name), then clients with no tier
    tierOrder.concat(["none"]).forEach(function (tier) {
      if (data.by_tier[tier]) { parts.push((tierLabels[tier] || tier) + " " + data.by_tier[tier]); }
    });
    $("pv-tiers").textContent = parts.length ? "(" + parts.join(", ") + ")" : "";
    var excluded = data.excluded || {total: 0, by_reason: {}};
    $("pv-excluded").textContent = excluded.total;
    var why = [];
    Object.keys(exclusionLabels).forEach(function (reason) {
      if (excluded.by_reason[reason]) { why.push(exclusionLabels[reason] + " " + excluded.by_reason[reason]); }
    });
    $("pv-excluded-why").textContent = why.length ? "(" + why.join(", ") + ")" : "";
    (data.problems || []).forEach(function (p) { problem(p.error); });
  }

  function refresh() {
    var ticket = ++latest;
    fetch(form.dataset.previewUrl, {method: "POST", body: new FormData(form), credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (data) { if (ticket === latest) { render(data); } })
      .catch(function () { /* the next change tries again */ });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  kind.addEventListener("change", showSuggestion);
  kind.addEventListener("change", fitRiskLevel);
  $("pick-vip").addEventListener("click", function () {
    ["diamond", "platinum", "gold"].forEach(function (tier) {
      form.querySelector('input[name="tiers"][value="' + tier + '"]').checked = true;
    });
    soon();
  });
  showSuggestion();
  fitRiskLevel();
  refresh();
}());

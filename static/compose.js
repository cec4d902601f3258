// The compose page's running preview: after each pause in typing, the form is sent to the server, which
// renders the SMS, counts segments (sms.segments, the same code that bills), counts the audience per tier
// and runs the compliance checks. Nothing is counted in the browser, so the page never disagrees with the send.
// What would keep the draft from being saved is shown next to its field (aria-invalid, aria-describedby), as the
// server marks it after a refused save: a mark goes when its field is fixed, and comes only to a field the
// author has changed (an empty new form is not covered in marks before anything is typed).
(function () {
  "use strict";
  var form = document.getElementById("compose");
  if (!form) { return; }
  var tierLabels = JSON.parse(document.getElementById("tier-labels").textContent);
  var exclusionLabels = JSON.parse(document.getElementById("exclusion-labels").textContent);
  var riskLevel = document.getElementById("f-risk_level");
  var riskDefaults = JSON.parse(riskLevel.dataset.defaults);
  var tierOrder = Array.prototype.map.call(form.querySelectorAll('input[name="tiers"]'),
                                           function (box) { return box.value; });
  var suggestion = document.getElementById("suggestion-fields");
  var kind = document.getElementById("f-kind");
  var touched = {};
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

  // the field a problem is about, as the form names it (id="f-<name>"), if the form shows it
  function fieldOf(name) { return name ? $("f-" + name) : null; }

  function markFields(problems) {
    var byField = {};
    problems.forEach(function (p) {
      if (p.blocks === "save" && fieldOf(p.field)) { (byField[p.field] = byField[p.field] || []).push(p.error); }
    });
    Array.prototype.forEach.call(form.querySelectorAll('[id^="f-"]'), function (field) {
      var name = field.id.slice(2);
      var message = $("error-" + name);
      if (byField[name] && (message || touched[name])) {
        if (!message) {
          message = document.createElement("span");
          message.className = "error field-error";
          message.id = "error-" + name;
          field.insertAdjacentElement("afterend", message);
        }
        message.textContent = byField[name].join("\n");  // one problem a line (white-space:pre-line)
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", message.id);
      } else if (!byField[name] && message) {
        message.remove();
        field.removeAttribute("aria-invalid");
        field.removeAttribute("aria-describedby");
      }
    });
    var summary = $("error-summary");
    if (summary) {  // what the refused save listed, less what has been fixed since
      Array.prototype.forEach.call(summary.querySelectorAll('a[href^="#f-"]'), function (link) {
        if (!byField[link.getAttribute("href").slice(3)]) { link.parentNode.remove(); }
      });
      summary.hidden = summary.querySelectorAll("li").length === 0;
    }
  }

  function render(data) {
    var problems = $("pv-problems");
    problems.textContent = "";
    (data.problems || []).forEach(function (p) {
      var li = document.createElement("li");
      var field = fieldOf(p.field);
      if (field) {
        var link = document.createElement("a");
        link.href = "#" + field.id;
        link.textContent = p.error;
        li.appendChild(link);
      } else {
        li.textContent = p.error;
      }
      problems.appendChild(li);
    });
    markFields(data.problems || []);
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

  function changed(event) {
    if (event.target.name) { touched[event.target.name] = true; }
    soon();
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
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

// What forms of every page do without inline script (the Content-Security-Policy forbids it):
// a form with data-confirm asks before it is sent; a select with data-autosubmit sends its form on change.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.dataset && field.dataset.autosubmit !== undefined && field.form) {
      field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
    }
  });
}());

// Progressive enhancement only: DKFDS's components (accordions, tabs), and focus on the error
// summary when a form came back refused. Every form works without this file.
window.addEventListener("DOMContentLoaded", function () {
  if (window.DKFDS && typeof window.DKFDS.init === "function") {
    window.DKFDS.init();
  }
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});

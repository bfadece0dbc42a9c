// Draws each report chart from its canvas's data attributes (no inline script: the CSP forbids
// it). The figures arrive after the page, swapped in by htmx, so charts are drawn on the first
// load and again after every swap; the table beside the chart says the same without JavaScript.
(function () {
  var PALETTE = ["#2f6f9f", "#c8772e", "#4f8f4a", "#8c4f9f", "#b8403a", "#6b7a89", "#c4a72c"];

  function draw(canvas) {
    if (canvas.dataset.drawn === "true" || typeof window.Chart === "undefined") { return; }
    var kind = canvas.dataset.kind || "bar";
    var stacked = kind === "stacked_bar";
    var datasets = JSON.parse(canvas.dataset.datasets).map(function (set, k) {
      var colour = PALETTE[k % PALETTE.length];
      return { label: set.label, data: set.data, backgroundColor: colour, borderColor: colour,
               borderWidth: kind === "line" ? 2 : 1, fill: false, spanGaps: false };
    });
    new window.Chart(canvas, {
      type: kind === "line" ? "line" : "bar",
      data: { labels: JSON.parse(canvas.dataset.labels), datasets: datasets },
      options: {
        animation: false,
        plugins: { legend: { display: true } },
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true,
               title: { display: !!canvas.dataset.axis, text: canvas.dataset.axis || "" } }
        }
      }
    });
    canvas.dataset.drawn = "true";
  }

  function drawAll() {
    document.querySelectorAll("canvas.report-chart").forEach(draw);
  }

  function showError(event) {
    var target = event.detail.target;
    if (!target || !target.dataset.errorText) { return; }
    var message = document.createElement("p");
    message.className = "alert alert-error";
    message.setAttribute("role", "alert");
    message.textContent = target.dataset.errorText;
    target.replaceChildren(message);
    target.setAttribute("aria-busy", "false");
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawAll();
    document.body.addEventListener("htmx:afterSettle", function (event) {
      if (event.detail.target && event.detail.target.id === "report-figures") {
        event.detail.target.setAttribute("aria-busy", "false");
      }
      drawAll();
    });
    // A refused or failed lazy load leaves no spinner turning for ever: its message replaces it.
    document.body.addEventListener("htmx:responseError", showError);
    document.body.addEventListener("htmx:sendError", showError);
  });
})();

// Draws the self-care progress chart from the canvas's data attributes (no inline script: the
// CSP forbids it). Without Chart.js the table next to it says the same.
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("self-care-chart");
  if (!canvas || typeof window.Chart === "undefined") { return; }
  var labels = JSON.parse(canvas.dataset.labels);
  var series = JSON.parse(canvas.dataset.series);
  var names = JSON.parse(canvas.dataset.names);
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: labels,
      datasets: series.map(function (levels, k) { return { label: names[k], data: levels, tension: 0.2 }; })
    },
    options: { animation: false, scales: { y: { min: 0, max: 4, ticks: { stepSize: 1 } } } }
  });
});

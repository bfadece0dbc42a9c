// Draws the self-care progress chart from the canvas's data attributes (no inline script: the
// CSP forbids it). Without Chart.js the table next to it says the same.
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("self-care-chart");
  if (!canvas || typeof window.Chart === "undefined") { return; }
  var labels = JSON.parse(canvas.dataset.labels);
  var series = JSON.parse(canvas.dataset.series);
  var names = JSON.parse(canvas.dataset.names);
  // Ten skill areas need ten colours that stay apart (Chart.js's own palette repeats after
  // seven); every other line is dashed, so areas differ for colour-blind readers too.
  var colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: labels,
      datasets: series.map(function (levels, k) {
        var colour = colours[k % colours.length];
        return { label: names[k], data: levels, tension: 0.2, borderColor: colour,
                 backgroundColor: colour, borderDash: k % 2 ? [6, 3] : [] };
      })
    },
    options: { animation: false, scales: { y: { min: 0, max: 4, ticks: { stepSize: 1 } } } }
  });
});

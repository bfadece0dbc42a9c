// Draws the data set's chart from the canvas's data attributes (no inline script: the CSP
// forbids it). A confidential number is a gap (null), never a bar of 0; without Chart.js the
// table below says the same.
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("opendata-chart");
  if (!canvas || typeof window.Chart === "undefined") { return; }
  var labels = JSON.parse(canvas.dataset.labels);
  var values = JSON.parse(canvas.dataset.values);
  var hidden = JSON.parse(canvas.dataset.suppressedText);
  var shownLabels = labels.map(function (label, k) {
    return values[k] === null ? label + " (" + hidden + ")" : label;
  });
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: shownLabels,
      datasets: [{ label: JSON.parse(canvas.dataset.label), data: values,
                   backgroundColor: "#2f6f9f", borderColor: "#1f4f73", borderWidth: 1 }]
    },
    options: {
      animation: false,
      plugins: { legend: { display: true } },
      scales: { x: { title: { display: true, text: JSON.parse(canvas.dataset.axis) } },
                y: { beginAtZero: true } }
    }
  });
  canvas.dataset.drawn = "true";
});

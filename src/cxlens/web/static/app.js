// The dashboard's only script: show the period inputs that apply, draw Plotly charts
// from the JSON each page embeds (<script type="application/json" data-chart-for="ID">).
"use strict";

function showPeriodInputs() {
  const period = document.getElementById("filter-period");
  if (!period) return;
  const update = () => {
    document.querySelectorAll(".for-month").forEach((el) => { el.hidden = period.value !== "month"; });
    document.querySelectorAll(".for-custom").forEach((el) => { el.hidden = period.value !== "custom"; });
  };
  period.addEventListener("change", update);
  update();
}

function drawCharts() {
  if (typeof Plotly === "undefined") return;
  document.querySelectorAll("script[data-chart-for]").forEach((holder) => {
    const target = document.getElementById(holder.dataset.chartFor);
    if (!target) return;
    const figure = JSON.parse(holder.textContent);
    Plotly.newPlot(target, figure.data, figure.layout || {}, { displaylogo: false, responsive: true });
    if (figure.links) {
      target.on("plotly_click", (event) => {
        const point = event.points[0];
        const link = figure.links[point.curveNumber] && figure.links[point.curveNumber][point.pointIndex];
        if (link) window.location.href = link;
      });
    }
  });
}

document.addEventListener("DOMContentLoaded", () => { showPeriodInputs(); drawCharts(); });

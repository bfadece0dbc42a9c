// The instance page's diagram: the process version's BPMN drawn with bpmn-js (navigated viewer),
// each element marked done, waiting or failed, with a badge counting how often it ran. Clicking an
// element shows its executions, which the server rendered into the elements table.
// No inline script or style (CSP): the data comes in the data-diagram attribute as JSON.
(function () {
  "use strict";

  var host = document.getElementById("instance-diagram");
  if (!host) {
    return;
  }
  var canvasHost = host.querySelector(".history-diagram-canvas");
  var panel = document.getElementById("element-panel");

  function fail() {
    host.classList.add("history-diagram-failed");
    var note = document.createElement("p");
    note.className = "alert alert-error";
    note.textContent = host.getAttribute("data-failed-message") || "";
    host.replaceChildren(note);
  }

  var data;
  try {
    data = JSON.parse(host.getAttribute("data-diagram") || "{}");
  } catch (err) {
    fail();
    return;
  }
  if (!window.BpmnJS || !data.xml) {
    fail();
    return;
  }

  function showExecutions(elementId, name) {
    if (!panel) {
      return;
    }
    var title = panel.querySelector(".element-panel-title");
    var body = panel.querySelector(".element-panel-body");
    var source = document.getElementById("executions-" + elementId);
    title.textContent = name;
    if (source) {
      body.replaceChildren(source.cloneNode(true));
      body.firstChild.removeAttribute("id");
    } else {
      var none = document.createElement("p");
      none.className = "muted";
      none.textContent = panel.getAttribute("data-empty") || "—";
      body.replaceChildren(none);
    }
    panel.classList.add("element-panel-chosen");
    var row = document.getElementById("element-" + elementId);
    document.querySelectorAll(".history-elements tr.element-selected").forEach(function (tr) {
      tr.classList.remove("element-selected");
    });
    if (row) {
      row.classList.add("element-selected");
    }
  }

  var viewer = new window.BpmnJS({ container: canvasHost });
  viewer.importXML(data.xml).then(function () {
    var canvas = viewer.get("canvas");
    var overlays = viewer.get("overlays");
    var registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport", "auto");
    var elements = data.elements || {};
    var timesRun = host.getAttribute("data-times-run") || "";
    Object.keys(elements).forEach(function (id) {
      var info = elements[id];
      if (!registry.get(id)) {
        return;
      }
      if (info.state) {
        canvas.addMarker(id, "hist-" + info.state);
      }
      if (info.count > 0) {
        var badge = document.createElement("span");
        badge.className = "hist-count hist-count-" + (info.state || "completed");
        badge.textContent = String(info.count);
        badge.title = timesRun + ": " + info.count;
        overlays.add(id, "hist-count", { position: { top: -9, right: 9 }, html: badge });
      }
    });
    host.classList.add("history-diagram-ready");
    viewer.get("eventBus").on("element.click", function (event) {
      var element = event.element;
      if (!element || !element.businessObject || element.type === "bpmn:Process") {
        return;
      }
      var info = elements[element.id];
      var name = (info && info.name) || element.businessObject.name || element.id;
      showExecutions(element.id, name);
    });
  }).catch(fail);
})();

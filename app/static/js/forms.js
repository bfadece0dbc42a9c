/* Task forms, a little more direct: rows of repeating groups are added and removed in place, and
   conditional sections appear as the person answers. Without this script the same buttons send
   the form and the server shows it again; the server's validation decides in every case.
   No inline script, no eval, no styles set from here (the CSP forbids them). */
(function () {
  "use strict";

  function own(root, selector, owner) {
    // Elements of ``root`` matching ``selector`` whose nearest ``owner`` ancestor is ``root``
    // itself: a row's own buttons, not those of a group nested inside it.
    return Array.prototype.filter.call(root.querySelectorAll(selector), function (el) {
      return el.parentElement && el.parentElement.closest(owner) === root;
    });
  }

  function rowsOf(repeat) {
    var container = own(repeat, "[data-repeat-rows]", "[data-repeat]")[0];
    if (!container) { return []; }
    return Array.prototype.filter.call(container.children, function (el) {
      return el.hasAttribute("data-row");
    });
  }

  function announce(form, key) {
    var live = form.querySelector("[data-form-announcer]");
    if (!live) { return; }
    var text = live.getAttribute("data-" + key) || "";
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 100);
  }

  function renumber(repeat) {
    var rows = rowsOf(repeat);
    var label = repeat.getAttribute("data-row-label") || "{n}";
    var min = parseInt(repeat.getAttribute("data-min-rows") || "0", 10);
    var max = repeat.hasAttribute("data-max-rows") ?
      parseInt(repeat.getAttribute("data-max-rows"), 10) : Infinity;
    rows.forEach(function (row, i) {
      own(row, "[data-row-label]", "[data-row]").forEach(function (el) {
        el.textContent = label.replace("{n}", String(i + 1));
      });
      own(row, "[data-remove-row]", "[data-row]").forEach(function (button) {
        button.hidden = rows.length <= min;
      });
    });
    own(repeat, "[data-add-row]", "[data-repeat]").forEach(function (button) {
      button.hidden = rows.length >= max;
    });
    own(repeat, "[data-repeat-empty]", "[data-repeat]").forEach(function (note) {
      note.hidden = rows.length > 0;
    });
  }

  function replaceToken(root, token, value) {
    Array.prototype.forEach.call(root.querySelectorAll("*"), function (el) {
      Array.prototype.forEach.call(el.attributes, function (attribute) {
        if (attribute.value.indexOf(token) !== -1) {
          el.setAttribute(attribute.name, attribute.value.split(token).join(value));
        }
      });
      if (el.tagName === "TEMPLATE") { replaceToken(el.content, token, value); }
    });
  }

  function nextIndex(repeat) {
    var name = repeat.getAttribute("data-repeat");
    var highest = -1;
    rowsOf(repeat).forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (el) {
        if (el.tagName === "INPUT" && el.type === "hidden" && el.name === name) {
          highest = Math.max(highest, parseInt(el.value, 10));
        }
      });
    });
    return highest + 1;
  }

  function firstControl(root) {
    return root.querySelector("input:not([type=hidden]), select, textarea");
  }

  function addRow(form, repeat) {
    var template = own(repeat, "template[data-row-template]", "[data-repeat]")[0];
    var container = own(repeat, "[data-repeat-rows]", "[data-repeat]")[0];
    if (!template || !container) { return false; }
    var copy = template.content.cloneNode(true);
    replaceToken(copy, repeat.getAttribute("data-index-token"), String(nextIndex(repeat)));
    var row = copy.querySelector("[data-row]");
    container.appendChild(copy);
    renumber(repeat);
    updateSections(form, false);
    var control = firstControl(row);
    if (control) { control.focus(); }
    announce(form, "row-added");
    return true;
  }

  function removeRow(form, button) {
    var row = button.closest("[data-row]");
    var repeat = row && row.closest("[data-repeat]");
    if (!repeat) { return false; }
    row.parentElement.removeChild(row);
    renumber(repeat);
    updateSections(form, false);
    var add = own(repeat, "[data-add-row]", "[data-repeat]")[0];
    if (add && !add.hidden) { add.focus(); }
    announce(form, "row-removed");
    return true;
  }

  function controlValue(form, name, checkbox) {
    var control = form.elements.namedItem(name);
    if (!control) { return null; }
    if (checkbox && control.type === "checkbox") { return control.checked ? "true" : "false"; }
    return typeof control.value === "string" ? control.value.trim() : null;
  }

  function holds(form, condition) {
    var met = condition.all.every(function (clause) {
      var value = controlValue(form, clause.field, clause.checkbox);
      if (value === null) { return true; }
      if (clause.filled) { return clause.checkbox || value !== ""; }
      if (value === "") { return !clause.required; }
      return clause.values.indexOf(value) !== -1;
    });
    return condition.negate ? !met : met;
  }

  function updateSections(form, speak) {
    var shown = false;
    Array.prototype.forEach.call(form.querySelectorAll("[data-section][data-condition]"),
      function (section) {
        var condition;
        try { condition = JSON.parse(section.getAttribute("data-condition")); } catch (e) { return; }
        var visible = holds(form, condition);
        if (visible === !section.hidden) { return; }
        section.hidden = !visible;
        shown = shown || visible;
      });
    if (shown && speak) { announce(form, "section-shown"); }
  }

  function enhance(form) {
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || !form.contains(button)) { return; }
      if (button.hasAttribute("data-add-row")) {
        if (addRow(form, button.closest("[data-repeat]"))) { event.preventDefault(); }
      } else if (button.hasAttribute("data-remove-row")) {
        if (removeRow(form, button)) { event.preventDefault(); }
      }
    });
    form.addEventListener("change", function () { updateSections(form, true); });
    form.addEventListener("input", function () { updateSections(form, true); });
    updateSections(form, false);
    form.setAttribute("data-enhanced", "true");
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-task-form]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());

// Forms that change Clio Operate or the mapping in force ask first. A form with
// data-confirm="<dialog id>" opens that <dialog> on submit; the dialog's [data-fill=NAME]
// elements show "items" (the ticked [data-item] boxes, or all of them for the button with
// value "all"), the sum of the chosen boxes' data-NAME, or else the form's own data-NAME.
// Nothing ticked: the form's [data-nothing-ticked] message shows instead of the dialog.
(function () {
  "use strict";

  function chosen(form, submitter) {
    var all = submitter && submitter.value === "all";
    return Array.prototype.filter.call(form.querySelectorAll("input[data-item]"), function (box) {
      return all || box.checked;
    });
  }

  function fill(dialog, form, boxes) {
    dialog.querySelectorAll("[data-fill]").forEach(function (element) {
      var name = element.dataset.fill;
      if (name === "items") {
        element.textContent = boxes.length;
      } else if (form.dataset[name] !== undefined) {
        element.textContent = form.dataset[name];
      } else {
        element.textContent = boxes.reduce(function (sum, box) { return sum + (parseInt(box.dataset[name], 10) || 0); }, 0);
      }
    });
  }

  function submitConfirmed(form, submitter) {
    if (submitter && submitter.name) {  // form.submit() leaves out the button that was pressed
      var pressed = document.createElement("input");
      pressed.type = "hidden";
      pressed.name = submitter.name;
      pressed.value = submitter.value;
      form.appendChild(pressed);
    }
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    form.submit();
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    var dialog = document.getElementById(form.dataset.confirm);
    var nothing = form.querySelector("[data-nothing-ticked]");
    if (!dialog || typeof dialog.showModal !== "function") return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var submitter = event.submitter;
      var boxes = chosen(form, submitter);
      var needsItems = form.querySelector("input[data-item]") !== null;
      if (nothing) nothing.hidden = !(needsItems && boxes.length === 0);
      if (needsItems && boxes.length === 0) return;
      fill(dialog, form, boxes);
      dialog.returnValue = "";
      dialog.addEventListener("close", function () {
        if (dialog.returnValue === "confirm") submitConfirmed(form, submitter);
      }, { once: true });
      dialog.showModal();
    });
  });
})();

// The upload form, enhanced: documents dropped on the form or chosen in it are sent one by
// one with a progress bar each; the page then reloads to report them, as the form's own
// answer would. Without this script the form posts all the files at once and works the same.
// Its words come from the form's data- attributes, so they are translated with the page.
"use strict";

(function () {
  var form = document.querySelector("form.upload");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var input = form.querySelector("input[type=file]");
  var list = form.querySelector(".transfers");
  var button = form.querySelector("button[type=submit]");
  var words = form.dataset;
  var busy = false;

  var hint = document.createElement("p");
  hint.className = "help drop-hint";
  hint.textContent = words.drop;
  input.insertAdjacentElement("afterend", hint);
  form.classList.add("droppable");

  function row(file) {
    var item = document.createElement("li");
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var state = document.createElement("span");
    state.className = "state";
    state.setAttribute("role", "status");
    state.textContent = words.sending;
    item.append(name, " ", bar, " ", state);
    list.append(item);
    return { bar: bar, state: state };
  }

  function send(file, shown) {
    return new Promise(function (resolve) {
      var body = new FormData();
      body.append("file", file, file.name);
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.upload.onprogress = function (event) {
        if (event.lengthComputable) shown.bar.value = Math.round((100 * event.loaded) / event.total);
      };
      request.onload = function () {
        var answer = null;
        try {
          answer = JSON.parse(request.responseText).files[0];
        } catch (error) {
          answer = null; // a page instead (the session ended, ...): the reload shows it
        }
        var received = Boolean(answer && answer.received);
        shown.bar.value = received ? 100 : shown.bar.value;
        shown.state.textContent = received ? words.received : words.failed + (answer && answer.message ? ": " + answer.message : "");
        resolve({ file: file, answer: answer });
      };
      request.onerror = function () {
        shown.state.textContent = words.failed;
        resolve({ file: file, answer: null });
      };
      request.send(body);
    });
  }

  function sendAll(files) {
    if (busy || files.length === 0) return;
    busy = true;
    button.disabled = true;
    list.hidden = false;
    list.textContent = "";
    var rows = files.map(row);
    var report = new URLSearchParams();
    files
      .reduce(function (previous, file, index) {
        return previous.then(function () {
          return send(file, rows[index]).then(function (result) {
            var answer = result.answer;
            if (answer && answer.received) report.append("uploaded", answer.name);
            else if (answer && answer.reason) report.append("refused", answer.reason + ":" + answer.name);
          });
        });
      }, Promise.resolve())
      .then(function () {
        window.location.assign(window.location.pathname + "?" + report.toString());
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    sendAll(Array.prototype.slice.call(input.files));
  });
  form.addEventListener("dragover", function (event) {
    event.preventDefault();
    form.classList.add("dragging");
  });
  form.addEventListener("dragleave", function () {
    form.classList.remove("dragging");
  });
  form.addEventListener("drop", function (event) {
    event.preventDefault();
    form.classList.remove("dragging");
    sendAll(Array.prototype.slice.call(event.dataTransfer.files));
  });
})();

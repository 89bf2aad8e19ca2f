// The web chat: send messages and presses, show replies as they arrive (server-sent events), buttons as buttons.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) { return; }
  var csrf = root.dataset.csrf;
  var list = document.getElementById("messages");
  var buttons = document.getElementById("buttons");
  var form = document.getElementById("compose");
  var input = document.getElementById("text");
  var status = document.getElementById("status");
  var seen = new Set();

  function nonce() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function add(who, text) {
    var item = document.createElement("li");
    item.className = "msg " + who;
    item.textContent = text;
    list.appendChild(item);
    item.scrollIntoView({block: "end"});
  }

  function showButtons(items) {
    buttons.textContent = "";
    items.forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b.label;
      button.addEventListener("click", function () { send({button: b.payload}, b.label); });
      buttons.appendChild(button);
    });
  }

  function send(fields, shown) {
    add("shopper", shown);
    showButtons([]);
    var body = new URLSearchParams(fields);
    body.set("nonce", nonce());
    return fetch("/chat/messages", {
      method: "POST", credentials: "same-origin", body: body,
      headers: {"X-CSRF-Token": csrf, "X-Requested-With": "fetch"}
    }).then(function (response) {
      if (response.status === 503) {
        return response.json().then(function (data) { data.replies.forEach(function (r) { add("bot", r.text); }); });
      }
      if (!response.ok) { add("error", root.dataset.error); }
    }).catch(function () { add("error", root.dataset.error); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send({text: text}, text);
  });

  // Buttons rendered with the page (plain forms without JavaScript) become presses sent in place.
  Array.prototype.forEach.call(buttons.querySelectorAll("form.choice button"), function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      send({button: button.value}, button.textContent);
    });
  });

  var events = new EventSource("/chat/events?after=" + encodeURIComponent(root.dataset.after || "0"));
  events.addEventListener("message", function (event) {
    var message = JSON.parse(event.data);
    if (message.key && seen.has(message.key)) { return; }
    seen.add(message.key);
    add(message.who, message.text);
    showButtons(message.buttons || []);
  });
  events.addEventListener("open", function () { status.textContent = ""; });
  events.addEventListener("error", function () { status.textContent = root.dataset.offline; });
}());

// The support console: live parts reloaded when the desk changes (server-sent events), canned replies.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (live && window.EventSource) {
    var loading = false;
    var events = new EventSource(live.dataset.events);
    events.addEventListener("changed", function () {
      if (loading) { return; }
      loading = true;
      fetch(live.dataset.live, {credentials: "same-origin"}).then(function (response) {
        if (response.ok) { return response.text().then(function (html) { live.innerHTML = html; }); }
        if (response.status === 401) { window.location.assign("/login"); }
      }).finally(function () { loading = false; });
    });
  }
  var reply = document.getElementById("reply-text");
  Array.prototype.forEach.call(document.querySelectorAll("button.canned-reply"), function (button) {
    button.addEventListener("click", function () {
      if (!reply) { return; }
      reply.value = button.dataset.text;
      reply.focus();
    });
  });
}());

// Put the web chat on a shop's page: <script src="https://bot.example/chat/embed.js" data-label="Chat" async></script>
// A floating button opens /chat in a frame (allow it with WEB_CHAT_FRAME_ANCESTORS on the bot's side).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var origin = new URL(script.src).origin;
  var open = false;
  var frame = null;
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = script.dataset.label || "\uD83D\uDCAC";
  button.setAttribute("aria-label", script.dataset.title || button.textContent);
  var s = button.style;
  s.position = "fixed"; s.right = "20px"; s.bottom = "20px"; s.zIndex = "2147483000"; s.border = "0";
  s.borderRadius = "28px"; s.minWidth = "56px"; s.height = "56px"; s.padding = "0 18px"; s.cursor = "pointer";
  s.background = script.dataset.color || "#0b6e4f"; s.color = "#fff"; s.font = "600 16px system-ui, sans-serif";
  s.boxShadow = "0 4px 14px rgba(0,0,0,.25)";
  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = origin + "/chat";
      frame.title = script.dataset.title || "Chat";
      var f = frame.style;
      f.position = "fixed"; f.right = "20px"; f.bottom = "88px"; f.zIndex = "2147483000"; f.border = "0";
      f.width = "min(380px, calc(100vw - 40px))"; f.height = "min(600px, calc(100vh - 120px))";
      f.borderRadius = "12px"; f.boxShadow = "0 8px 30px rgba(0,0,0,.3)"; f.background = "#fff";
      document.body.appendChild(frame);
    }
    open = !open;
    frame.style.display = open ? "block" : "none";
  });
  document.body.appendChild(button);
}());

// DigDeal: small progressive enhancements. Every page works without this file.
document.addEventListener("htmx:responseError", function (evt) {
  var box = document.querySelector(".messages") || document.createElement("div");
  if (!box.parentNode) { box.className = "messages"; document.getElementById("main").prepend(box); }
  var msg = document.createElement("div");
  msg.className = "message error";
  msg.setAttribute("role", "alert");
  msg.textContent = document.documentElement.lang.startsWith("zh") ? "操作失败，请重试。" : "Something went wrong. Please try again.";
  box.appendChild(msg);
});

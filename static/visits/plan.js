// Visit plan and visit page: small enhancements; both pages work without this file.
(function () {
  "use strict";

  // "Near me": ask the phone for its position, then reload the plan with lat/lng.
  function nearMe(button) {
    var status = document.querySelector("[data-near-status]");
    function say(text) { if (status) { status.textContent = text; } }
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      say(button.getAttribute("data-locating"));
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          var url = new URL(window.location.href);
          url.searchParams.set("lat", pos.coords.latitude.toFixed(6));
          url.searchParams.set("lng", pos.coords.longitude.toFixed(6));
          url.searchParams.delete("page");
          url.hash = "nearby";
          window.location.assign(url.toString());
        },
        function () {
          button.disabled = false;
          say(button.getAttribute("data-denied"));
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 120000 }
      );
    });
  }

  // The appointment form: the "way in" is asked only after a refusal or an unanswered call.
  function waysIn(form) {
    var box = form.querySelector("[data-show-for]");
    if (!box) { return; }
    var wanted = box.getAttribute("data-show-for").split(" ");
    function update() {
      var chosen = form.querySelector("input[name=outcome]:checked");
      var hasError = box.querySelector(".error");
      box.hidden = !hasError && !(chosen && wanted.indexOf(chosen.value) >= 0);
    }
    form.addEventListener("change", update);
    update();
  }

  function init() {
    var near = document.querySelector("[data-near-me]");
    if (near && "geolocation" in navigator) { nearMe(near); }
    document.querySelectorAll(".appt-form").forEach(waysIn);
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (evt) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { evt.preventDefault(); }
      });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();

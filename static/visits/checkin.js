// Check-in screen (签到): the phone's position, manual check-in, camera photos, check-out.
// Without this file the screen still works as plain form posts (manual check-in, file upload).
(function () {
  "use strict";
  document.documentElement.classList.add("geo-js");

  var GEO_TIMEOUT_MS = 20000; // a cold GPS on a work site may need a while
  var CHECKOUT_TIMEOUT_MS = 8000; // check-out never waits long for a position
  var RESIZE_OVER_BYTES = 1500000; // bigger photos are shrunk on the phone before the upload
  var RESIZE_PX = 2560;

  function text(key, params) {
    var el = document.getElementById("checkin-text");
    var all = el ? JSON.parse(el.textContent) : {};
    var s = all[key] || key;
    Object.keys(params || {}).forEach(function (k) { s = s.replace("{" + k + "}", params[k]); });
    return s;
  }

  function status(form, message) {
    var el = form.querySelector(".geo-status");
    if (el) el.textContent = message;
  }

  function busy(form, on) {
    form.classList.toggle("busy", on);
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = on; });
  }

  function send(form) {
    if (window.htmx) {
      window.htmx.trigger(form, form.id === "photo-form" ? "photo-ready" : "located");
    } else {
      form.submit();
    }
  }

  function setPosition(form, pos) {
    form.elements.lat.value = pos ? pos.coords.latitude.toFixed(6) : "";
    form.elements.lng.value = pos ? pos.coords.longitude.toFixed(6) : "";
    if (form.elements.accuracy_m) form.elements.accuracy_m.value = pos ? Math.round(pos.coords.accuracy) : "";
  }

  function switchToManual(form, message) {
    busy(form, false);
    form.classList.add("manual-open");
    status(form, message);
    var box = form.querySelector("[data-testid=geo-status]");
    if (box) box.classList.add("geo-failed");
    var reason = form.elements.manual_reason;
    if (reason) reason.focus();
  }

  function reasonError(form, message) {
    var field = form.elements.manual_reason.closest(".field");
    var old = field.querySelector(".js-error");
    if (old) old.remove();
    if (!message) { field.classList.remove("has-error"); return; }
    var small = document.createElement("small");
    small.className = "error js-error";
    small.setAttribute("role", "alert");
    small.textContent = message;
    field.classList.add("has-error");
    field.appendChild(small);
  }

  function checkIn(form, submitter) {
    if (submitter && submitter.value === "manual") {
      if (!form.elements.manual_reason.value.trim()) {
        reasonError(form, text("reason_needed"));
        form.elements.manual_reason.focus();
        return;
      }
      reasonError(form, "");
      setPosition(form, null);
      busy(form, true);
      send(form);
      return;
    }
    if (!navigator.geolocation) { switchToManual(form, text("unsupported")); return; }
    busy(form, true);
    status(form, text("locating"));
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        setPosition(form, pos);
        form.elements.manual_reason.value = "";
        status(form, text("located", { m: Math.round(pos.coords.accuracy) }));
        send(form);
      },
      function (err) {
        var key = err.code === 1 ? "denied" : err.code === 3 ? "timeout" : "unavailable";
        setPosition(form, null);
        switchToManual(form, text(key));
      },
      { enableHighAccuracy: true, timeout: GEO_TIMEOUT_MS, maximumAge: 0 }
    );
  }

  function checkOut(form) {
    busy(form, true);
    status(form, text("checking_out"));
    if (!navigator.geolocation) { send(form); return; }
    var sent = false;
    function go(pos) { if (sent) return; sent = true; setPosition(form, pos); send(form); }
    navigator.geolocation.getCurrentPosition(go, function () { go(null); },
      { enableHighAccuracy: true, timeout: CHECKOUT_TIMEOUT_MS, maximumAge: 120000 });
    setTimeout(function () { go(null); }, CHECKOUT_TIMEOUT_MS + 1000); // never stuck on a silent phone
  }

  // A large camera photo is shrunk on the phone (less to send on a poor signal); anything the
  // browser cannot read (HEIC on Android, not a picture at all) goes as it is: the server decides.
  function shrink(file) {
    if (!file || file.size <= RESIZE_OVER_BYTES || !/^image\//.test(file.type) || !window.createImageBitmap ||
        typeof DataTransfer === "undefined") {
      return Promise.resolve(null);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bmp) {
      var scale = Math.min(1, RESIZE_PX / Math.max(bmp.width, bmp.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bmp.width * scale);
      canvas.height = Math.round(bmp.height * scale);
      canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); });
    }).then(function (blob) {
      if (!blob || blob.size >= file.size) return null;
      var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
      return new File([blob], name, { type: "image/jpeg" });
    }).catch(function () { return null; });
  }

  function upload(input) {
    var form = input.form;
    var file = input.files && input.files[0];
    if (!file) return;
    var progress = form.querySelector(".upload-progress");
    progress.hidden = false;
    progress.querySelector("progress").removeAttribute("value");
    progress.querySelector(".upload-text").textContent = text("preparing");
    form.classList.add("busy");
    shrink(file).then(function (smaller) {
      if (smaller) {
        var dt = new DataTransfer();
        dt.items.add(smaller);
        input.files = dt.files;
      }
      progress.querySelector(".upload-text").textContent = text("uploading", { p: 0 });
      send(form);
    });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.id === "checkin-form") { e.preventDefault(); checkIn(form, e.submitter); }
    else if (form.id === "checkout-form") { e.preventDefault(); checkOut(form); }
  });

  document.addEventListener("change", function (e) {
    if (e.target.id === "photo-input") upload(e.target);
  });

  document.addEventListener("click", function (e) {
    var toggle = e.target.closest("[data-manual-toggle]");
    if (toggle) {
      var form = toggle.closest("form");
      form.classList.toggle("manual-open");
      if (form.classList.contains("manual-open")) form.elements.manual_reason.focus();
      return;
    }
    var chip = e.target.closest("[data-reason]");
    if (chip) {
      var f = chip.closest("form");
      f.elements.manual_reason.value = chip.getAttribute("data-reason");
      reasonError(f, "");
    }
  });

  document.addEventListener("htmx:xhr:progress", function (e) {
    var form = e.target.closest && e.target.closest("#photo-form");
    if (!form || !e.detail.total) return;
    var p = Math.round((100 * e.detail.loaded) / e.detail.total);
    var bar = form.querySelector("progress");
    bar.value = p;
    form.querySelector(".upload-text").textContent = text("uploading", { p: p });
  });

  function failed(e) {
    var form = e.target.closest && e.target.closest("form");
    if (!form || !form.closest("#checkin-panel")) return;
    busy(form, false);
    form.classList.remove("busy");
    if (form.id === "photo-form") {
      form.querySelector(".upload-text").textContent = text("upload_failed");
      form.elements.photo.value = "";
    } else {
      status(form, text("send_failed"));
    }
  }
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:timeout", failed);
  document.addEventListener("htmx:responseError", failed);

  // Time on site, counted up while the page is open.
  function tick() {
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) el.textContent = Math.max(0, Math.floor((Date.now() - since) / 60000));
    });
  }
  setInterval(tick, 20000);
  document.addEventListener("DOMContentLoaded", tick);
})();

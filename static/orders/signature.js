/* A signature drawn with the finger (or a mouse) on a canvas, sent as a PNG data URL in the hidden
   field "signature_png". Vanilla JS, no library. The server checks it is a real PNG under 1 MB. */
(function () {
  "use strict";

  function setup(form) {
    var pad = form.querySelector("[data-signature-pad]");
    if (!pad) return;
    var canvas = pad.querySelector("canvas");
    var field = pad.querySelector("input[name=signature_png]");
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    var last = null;

    function resize() {
      // draw at the device's resolution so the strokes are sharp; keep the drawing when possible
      var ratio = window.devicePixelRatio || 1;
      var rect = canvas.getBoundingClientRect();
      if (!rect.width) return;
      var keep = drawn ? canvas.toDataURL("image/png") : null;
      canvas.width = Math.round(rect.width * ratio);
      canvas.height = Math.round(rect.height * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.5;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
      if (keep) {
        var img = new Image();
        img.onload = function () { ctx.drawImage(img, 0, 0, rect.width, rect.height); };
        img.src = keep;
      }
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      ctx.beginPath();
      ctx.arc(last.x, last.y, 1.2, 0, Math.PI * 2);
      ctx.fillStyle = "#111";
      ctx.fill();
      drawn = true;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      event.preventDefault();
      var p = point(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
    });
    function stop() { drawing = false; }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("pointerleave", stop);

    var clear = pad.querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        field.value = "";
      });
    }

    function method() {
      var checked = form.querySelector("input[name=method]:checked");
      return checked ? checked.value : "signature";
    }
    function toggle() { pad.hidden = method() !== "signature"; if (!pad.hidden) resize(); }
    form.querySelectorAll("input[name=method]").forEach(function (r) { r.addEventListener("change", toggle); });

    form.addEventListener("submit", function () {
      field.value = method() === "signature" && drawn ? canvas.toDataURL("image/png") : "";
    });

    window.addEventListener("resize", resize);
    toggle();
  }

  function init(root) {
    (root || document).querySelectorAll("form[data-signature-form]").forEach(function (form) {
      if (form.dataset.signatureReady) return;
      form.dataset.signatureReady = "1";
      setup(form);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();

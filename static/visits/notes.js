// DigDeal visit notes on the phone: drafts kept in localStorage, an outbox sent when the signal
// returns, repeatable rows. The note form works without this file (a plain form post).
//
// - The form's content is saved on every input, per visit or customer, with a draft key (client_key)
//   made once per draft. The server records a key once, so a draft sent twice is recorded once.
// - On submit the payload goes to the API as JSON; with no signal (or a network error) the draft
//   moves to the outbox and the page says so. The outbox is sent on every page load and whenever
//   the browser says it is online again; a draft leaves it only after a 2xx answer (200 = it was
//   recorded already). A 4xx validation answer keeps it, with the errors and a link to open it.
(function () {
  "use strict";
  if (window.DigDealNotes) return; // included by the shell and by a note page: run once

  var texts = {};
  try { texts = JSON.parse(document.getElementById("notes-i18n").textContent); } catch (e) { texts = {}; }
  function t(name) { return texts[name] || name; }
  function meta(name) { var m = document.querySelector('meta[name="' + name + '"]'); return m ? m.content : ""; }

  // ------------------------------------------------------------------ storage (per user of this phone)
  var PREFIX = "digdeal.notes.u" + (meta("digdeal-user") || "0") + ".";
  var OUTBOX = PREFIX + "outbox";
  var DRAFT = PREFIX + "draft.";

  function read(key, fallback) {
    try { var raw = window.localStorage.getItem(key); return raw ? JSON.parse(raw) : fallback; } catch (e) { return fallback; }
  }
  function write(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); return true; } catch (e) { return false; }
  }
  function forget(key) { try { window.localStorage.removeItem(key); } catch (e) { /* private mode */ } }

  function outbox() { return read(OUTBOX, []); }
  function saveOutbox(items) { write(OUTBOX, items); updateBadges(); }
  function queue(item) {
    var items = outbox().filter(function (x) { return x.key !== item.key; });
    items.push(item);
    saveOutbox(items);
  }
  function drafts() {
    var out = [];
    try {
      for (var i = 0; i < window.localStorage.length; i++) {
        var k = window.localStorage.key(i);
        if (k && k.indexOf(DRAFT) === 0) { var d = read(k, null); if (d) out.push(d); }
      }
    } catch (e) { /* storage unavailable */ }
    return out.sort(function (a, b) { return (b.savedAt || "").localeCompare(a.savedAt || ""); });
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : meta("csrf-token");
  }

  function updateBadges() {
    var n = outbox().length;
    document.querySelectorAll("[data-drafts-count]").forEach(function (el) {
      el.textContent = String(n);
      el.hidden = n === 0;
      el.title = t("drafts");
    });
  }

  function status(text, kind) {
    document.querySelectorAll("[data-draft-status]").forEach(function (el) {
      el.textContent = "";
      if (!text) { el.hidden = true; return; }
      el.hidden = false;
      el.className = "draft-status" + (kind ? " " + kind : "");
      if (typeof text === "string") el.textContent = text; else el.appendChild(text);
    });
  }

  // ------------------------------------------------------------------ the payload (as visits/notes.py)
  var PATH = /^(competitors\.[a-z_]+|[a-z_]+)(?:\[(\d{1,3})\])?(?:\.([a-z_]+))?$/;

  function formValues(form) {
    var out = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrfmiddlewaretoken") return;
      if (el.closest("template")) return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      if (el.type === "button" || el.type === "submit") return;
      out.push([el.name, el.value]);
    });
    return out;
  }

  function blank(v) { return v === null || v === undefined || String(v).trim() === ""; }

  function buildPayload(values, rowDefaults) {
    var payload = {}, rows = {}, origin = {};
    values.forEach(function (pair) {
      var m = PATH.exec(pair[0]);
      if (!m) return;
      var head = m[1], index = m[2], field = m[3];
      if (index !== undefined && field) {
        rows[head] = rows[head] || {};
        rows[head][index] = rows[head][index] || {};
        rows[head][index][field] = pair[1];
      } else if (index === undefined && field && (head === "basics" || head === "grade")) {
        payload[head] = payload[head] || {};
        payload[head][field] = pair[1];
      } else if (index === undefined && !field && ["summary", "result", "client_key"].indexOf(head) >= 0) {
        payload[head] = pair[1];
      }
    });
    Object.keys(rows).forEach(function (head) {
      var defaults = rowDefaults[head] || [];
      var indices = Object.keys(rows[head]).map(Number).sort(function (a, b) { return a - b; });
      var keep = indices.filter(function (i) {
        if (head === "needs") return true;
        var row = rows[head][i];
        return Object.keys(row).some(function (k) { return defaults.indexOf(k) < 0 && !blank(row[k]); });
      });
      if (!keep.length) return;
      origin[head] = keep;
      var entries = keep.map(function (i) { return rows[head][i]; });
      if (head.indexOf("competitors.") === 0) {
        payload.competitors = payload.competitors || {};
        payload.competitors[head.split(".")[1]] = entries;
      } else {
        payload[head] = entries;
      }
    });
    return { payload: payload, origin: origin };
  }

  // API error paths (relations[0].phone) back to the form's input names (rows renumbered)
  function formName(path, origin) {
    var m = /^(competitors\.[a-z_]+|[a-z_]+)\[(\d+)\](.*)$/.exec(path);
    if (m && origin && origin[m[1]] && origin[m[1]][Number(m[2])] !== undefined) {
      return m[1] + "[" + origin[m[1]][Number(m[2])] + "]" + m[3];
    }
    return path;
  }

  function label(path) {
    var L = texts.labels || { sections: {}, fields: {} };
    var m = PATH.exec(path);
    if (!m || !L.sections[m[1]]) return "";
    var words = L.sections[m[1]];
    if (m[2] !== undefined) words += " " + (Number(m[2]) + 1);
    if (m[3]) words += " · " + (L.fields[m[3]] || m[3]);
    return words;
  }

  // ------------------------------------------------------------------ sending
  // resolves to {kind: "sent"|"rejected"|"retry", body, message}
  function send(item) {
    var body = Object.assign({}, item.payload, { client_key: item.key, written_at: item.writtenAt });
    if (item.visit) body.visit = Number(item.visit); else body.customer = Number(item.customer);
    return fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) return { kind: "sent", body: data };
        var err = (data && data.error) || {};
        if (response.status === 401 || err.code === "csrf") return { kind: "retry", message: t("loginAgain") };
        if (response.status >= 500 || response.status === 429) return { kind: "retry", message: t("failed") };
        return { kind: "rejected", fields: err.fields || {}, message: err.message || String(response.status) };
      });
    }, function () {
      return { kind: "retry", message: t("waiting") };
    });
  }

  var flushing = false;
  function flush() {
    if (flushing || !navigator.onLine) return Promise.resolve();
    var pending = outbox().filter(function (x) { return x.status !== "rejected"; });
    if (!pending.length) return Promise.resolve();
    flushing = true;
    renderDrafts();
    return pending.reduce(function (chain, item) {
      return chain.then(function () {
        return send(item).then(function (result) {
          var items = outbox();
          var stored = items.filter(function (x) { return x.key === item.key; })[0];
          if (!stored) return;
          if (result.kind === "sent") {
            items = items.filter(function (x) { return x.key !== item.key; });
          } else if (result.kind === "rejected") {
            stored.status = "rejected";
            stored.errors = result.fields;
            stored.message = result.message;
          } else {
            stored.status = "waiting";
            stored.message = result.message;
          }
          saveOutbox(items);
        });
      });
    }, Promise.resolve()).then(function () {
      flushing = false;
      renderDrafts();
    }, function () {
      flushing = false;
      renderDrafts();
    });
  }

  // ------------------------------------------------------------------ the drafts page
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d)) return "";
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return (d.getMonth() + 1) + "/" + d.getDate() + " " + two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function renderDrafts() {
    var box = document.querySelector("[data-drafts-list]");
    updateBadges();
    if (!box) return;
    var items = outbox(), writing = drafts();
    var send = document.querySelector("[data-send-now]");
    if (send) send.hidden = !items.some(function (x) { return x.status !== "rejected"; });
    box.textContent = "";
    if (!items.length && !writing.length) {
      box.appendChild(el("div", { "class": "empty" }, [el("p", { text: t("none") })]));
      return;
    }
    if (items.length) {
      var list = el("ul", { "class": "list drafts", "data-testid": "outbox" });
      items.forEach(function (item) {
        var state = item.status === "rejected" ? t("rejected") : (flushing ? t("sending") : (item.message || t("waiting")));
        var sub = el("div", { "class": "sub" }, [el("span", { text: t("savedAt") + " " + when(item.savedAt) + " · " + state })]);
        var li = el("li", { "class": "draft " + (item.status || "waiting"), "data-testid": "draft", "data-key": item.key }, [
          el("div", { "class": "grow" }, [el("div", { "class": "title", text: item.label || "" }), sub]),
        ]);
        if (item.status === "rejected") {
          var errs = el("ul", { "class": "draft-errors" });
          Object.keys(item.errors || {}).forEach(function (path) {
            (item.errors[path] || []).forEach(function (msg) {
              var where = label(path);
              errs.appendChild(el("li", { text: (where ? where + "：" : "") + msg }));
            });
          });
          if (!errs.children.length && item.message) errs.appendChild(el("li", { text: item.message }));
          li.querySelector(".grow").appendChild(errs);
          li.appendChild(el("a", { "class": "btn small", href: item.formUrl + "?draft=" + encodeURIComponent(item.key), text: t("openAgain") }));
        }
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    if (writing.length) {
      box.appendChild(el("h2", { "class": "sub-h", text: t("inProgress") }));
      var ul = el("ul", { "class": "list drafts" });
      writing.forEach(function (d) {
        ul.appendChild(el("li", { "class": "draft writing" }, [
          el("div", { "class": "grow" }, [
            el("div", { "class": "title", text: d.label || "" }),
            el("div", { "class": "sub", text: t("savedAt") + " " + when(d.savedAt) }),
          ]),
          el("a", { "class": "btn small secondary", href: d.formUrl, text: t("continueWriting") }),
        ]));
      });
      box.appendChild(ul);
    }
  }

  // ------------------------------------------------------------------ the note form
  function setupForm(form) {
    var storeKey = DRAFT + form.dataset.draftKey;
    var keyInput = form.querySelector("[data-client-key]");
    var rowDefaults = {};
    try { rowDefaults = JSON.parse(document.getElementById("note-row-defaults").textContent); } catch (e) { rowDefaults = {}; }
    var jsErrors = document.querySelector("[data-js-errors]");
    var discard = form.querySelector("[data-discard-draft]");

    function nextIndex(container) {
      var max = -1;
      container.querySelectorAll(":scope > [data-index]").forEach(function (r) { max = Math.max(max, Number(r.dataset.index)); });
      return max + 1;
    }
    function addRow(section, index) {
      var container = form.querySelector('[data-rows="' + section + '"]');
      var tpl = form.querySelector('template[data-row-template="' + section + '"]');
      if (!container || !tpl) return null;
      var i = index === undefined ? nextIndex(container) : index;
      var html = tpl.innerHTML.split("__i__").join(String(i));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      container.appendChild(row);
      wireRow(row);
      return row;
    }
    function wireRow(row) {
      var btn = row.querySelector("[data-remove-row]");
      if (!btn) return;
      btn.hidden = false;
      btn.addEventListener("click", function () {
        var container = row.parentNode;
        row.remove();
        if (container && !container.querySelector("[data-index]")) addRow(container.dataset.rows);
        saveDraft();
        counts();
      });
    }
    form.querySelectorAll("[data-add-row]").forEach(function (btn) {
      btn.hidden = false;
      btn.addEventListener("click", function () {
        var row = addRow(btn.dataset.addRow);
        if (row) { var first = row.querySelector("input, select, textarea"); if (first) first.focus(); }
      });
    });
    form.querySelectorAll(".note-row[data-index]").forEach(wireRow);

    function counts() {
      form.querySelectorAll("details.note-section").forEach(function (d) {
        var badge = d.querySelector("[data-count]");
        if (!badge) return;
        var section = d.dataset.section;
        var defaults = rowDefaults[section] || [];
        var n = 0;
        d.querySelectorAll('[data-rows="' + section + '"] > [data-index]').forEach(function (row) {
          var filled = Array.prototype.some.call(row.querySelectorAll("input, select, textarea"), function (inp) {
            var field = (inp.name || "").split(".").pop();
            return defaults.indexOf(field) < 0 && !blank(inp.value);
          });
          if (filled) n++;
        });
        badge.textContent = String(n);
        badge.hidden = n === 0;
      });
    }

    function restore(values) {
      // rows first: every posted row index must exist
      values.forEach(function (pair) {
        var m = PATH.exec(pair[0]);
        if (!m || m[2] === undefined || m[1] === "needs") return;
        if (!form.querySelector('[name="' + CSS.escape(pair[0]) + '"]')) addRow(m[1], Number(m[2]));
      });
      form.querySelectorAll('input[type="checkbox"]').forEach(function (c) { c.checked = false; });
      values.forEach(function (pair) {
        var name = pair[0], value = pair[1];
        if (name === "client_key") return;
        var nodes = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
        nodes.forEach(function (node) {
          if (node.closest("template")) return;
          if (node.type === "checkbox") node.checked = true;
          else if (node.type === "radio") node.checked = node.value === value;
          else node.value = value;
        });
      });
      counts();
    }

    function saveDraft() {
      var draft = {
        key: keyInput.value,
        values: formValues(form),
        savedAt: new Date().toISOString(),
        label: form.dataset.label,
        formUrl: form.dataset.formUrl,
      };
      if (write(storeKey, draft)) {
        status(t("saved") + " " + when(draft.savedAt));
        if (discard) discard.hidden = false;
      }
    }

    function showErrors(fields, origin) {
      form.querySelectorAll(".js-error").forEach(function (n) { n.remove(); });
      form.querySelectorAll(".has-error.js-marked").forEach(function (n) { n.classList.remove("has-error", "js-marked"); });
      jsErrors.textContent = "";
      var paths = Object.keys(fields || {});
      if (!paths.length) { jsErrors.hidden = true; return; }
      jsErrors.appendChild(el("p", {}, [el("strong", { text: t("fixErrors") })]));
      paths.forEach(function (path) {
        var name = formName(path, origin);
        var input = form.querySelector('[name="' + CSS.escape(name) + '"]');
        (fields[path] || []).forEach(function (msg) {
          var where = label(path);
          jsErrors.appendChild(el("p", { text: (where ? where + "：" : "") + msg }));
          var box = input && input.type !== "hidden" ? input.closest(".field, .note-need") : null;
          if (box) {
            box.classList.add("has-error", "js-marked");
            box.appendChild(el("small", { "class": "error js-error", role: "alert", text: msg }));
          }
        });
        var d = input ? input.closest("details") : null;
        while (d) { d.open = true; d = d.parentNode.closest("details"); }
      });
      jsErrors.hidden = false;
      jsErrors.scrollIntoView({ block: "start" });
    }

    // a draft sent back from the outbox (?draft=key), else this form's own draft
    var params = new URLSearchParams(window.location.search);
    var fromOutbox = params.get("draft") ? outbox().filter(function (x) { return x.key === params.get("draft"); })[0] : null;
    var stored = read(storeKey, null);
    if (fromOutbox) {
      saveOutbox(outbox().filter(function (x) { return x.key !== fromOutbox.key; }));
      keyInput.value = fromOutbox.key;
      restore(fromOutbox.values || []);
      saveDraft();
      status(t("restored"));
      showErrors(fromOutbox.errors || {}, buildPayload(fromOutbox.values || [], rowDefaults).origin);
    } else if (stored && stored.values && !document.querySelector('[data-testid="note-errors"]')) {
      keyInput.value = stored.key || newKey();
      restore(stored.values);
      status(t("restored") + " " + when(stored.savedAt));
      if (discard) discard.hidden = false;
    } else if (!stored) {
      keyInput.value = newKey();  // a new draft: its own key, made once
    }
    counts();

    form.addEventListener("input", function () { saveDraft(); counts(); });
    form.addEventListener("change", function () { saveDraft(); counts(); });
    if (discard) {
      discard.addEventListener("click", function () {
        if (!window.confirm(t("discardAsk"))) return;
        forget(storeKey);
        window.location.replace(form.dataset.formUrl);
      });
    }

    var busy = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      var values = formValues(form);
      var built = buildPayload(values, rowDefaults);
      var item = {
        key: keyInput.value,
        url: form.dataset.apiUrl,
        visit: form.dataset.visit || null,
        customer: form.dataset.customer || null,
        payload: built.payload,
        values: values,
        label: form.dataset.label,
        formUrl: form.dataset.formUrl,
        savedAt: new Date().toISOString(),
        writtenAt: new Date().toISOString(),
        status: "waiting",
      };
      delete item.payload.client_key;
      function queued() {
        queue(item);
        forget(storeKey);
        var link = el("a", { href: meta("digdeal-drafts"), text: t("drafts") });
        var msg = el("span", { text: t("queued") + " " });
        msg.appendChild(link);
        status(msg, "queued");
        showErrors({}, {});
        // this draft is on its way: the form is done (typing more would go into a sent draft)
        Array.prototype.forEach.call(form.elements, function (node) { node.disabled = true; });
        if (discard) discard.hidden = true;
      }
      if (!navigator.onLine) { queued(); return; }
      busy = true;
      status(t("sending"));
      send(item).then(function (result) {
        busy = false;
        if (result.kind === "sent") {
          forget(storeKey);
          window.location.assign((result.body && result.body.url) || form.dataset.formUrl);
        } else if (result.kind === "rejected") {
          status("");
          showErrors(Object.keys(result.fields || {}).length ? result.fields : { __all__: [result.message] }, built.origin);
        } else {
          queued();
        }
      });
    });
  }

  // ------------------------------------------------------------------ start
  function keepOffline() {
    if (!("serviceWorker" in navigator) || !meta("digdeal-sw")) return;
    if (window.location.pathname.indexOf("/visits/") !== 0) return; // the helper's scope
    navigator.serviceWorker.register(meta("digdeal-sw"), { scope: "/visits/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      if (reg.active && (document.querySelector("[data-note-form], [data-keep-offline]"))) {
        reg.active.postMessage({ keep: window.location.pathname + window.location.search });
      }
    }).catch(function () { /* offline pages are a bonus */ });
  }

  function start() {
    var form = document.querySelector("[data-note-form]");
    if (form) setupForm(form);
    var sendNow = document.querySelector("[data-send-now]");
    if (sendNow) sendNow.addEventListener("click", function () { flush(); });
    renderDrafts();
    window.addEventListener("online", function () { flush(); });
    window.addEventListener("storage", function (e) { if (e.key === OUTBOX) renderDrafts(); });
    flush();
    keepOffline();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.DigDealNotes = { flush: flush, outbox: outbox, buildPayload: buildPayload };
})();

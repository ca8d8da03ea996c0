{% load static %}/* DigDeal offline helper for the visit pages (scope /visits/).
   Network first; without signal the copy seen last, else the drafts page. POSTs pass through. */
"use strict";
const CACHE = "digdeal-visits-v1";
const DRAFTS = "{{ drafts_url|escapejs }}";
const PRECACHE = [DRAFTS, "{% static 'css/app.css' %}", "{% static 'js/app.js' %}", "{% static 'vendor/htmx.min.js' %}",
  "{% static 'visits/notes.js' %}", "{% static 'visits/notes.css' %}"];

async function keep(cache, request, response) {
  if (response && response.ok && !response.redirected && response.type === "basic") {
    await cache.put(request, response.clone());
  }
  return response;
}

async function fetchAndKeep(url) {
  const cache = await caches.open(CACHE);
  try {
    await keep(cache, url, await fetch(url, { credentials: "same-origin" }));
  } catch (e) { /* offline: keep what we have */ }
}

self.addEventListener("install", (event) => {
  self.skipWaiting();
  event.waitUntil(Promise.all(PRECACHE.map(fetchAndKeep)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

// a page asks to be kept for offline use (the note form, the visit card)
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.keep && new URL(data.keep, self.location).origin === self.location.origin) {
    event.waitUntil(fetchAndKeep(data.keep));
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const page = request.mode === "navigate";
  if (!page && !url.pathname.startsWith("{% get_static_prefix %}")) return;
  if (url.pathname.endsWith("/sw.js")) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(request);
      if (page && response.redirected && new URL(response.url).pathname.startsWith("/login")) {
        await caches.delete(CACHE);  // logged out: nothing of the last user stays on the phone
        return response;
      }
      return await keep(cache, request, response);
    } catch (error) {
      const copy = await cache.match(request, { ignoreSearch: page });
      if (copy) return copy;
      if (page) {
        const drafts = await cache.match(DRAFTS);
        if (drafts) return drafts;
      }
      throw error;
    }
  })());
});

/* Service Worker of the 科普大屏 player, served at /player/sw.js (scope
 * /player/) with CONFIG prepended by the server: { version, scope, shell,
 * playlist, caches }.
 *
 * - The shell (the page, player.js, player.css) is cached at install, per
 *   player version, and fetched from the network first: after a deploy the
 *   reloaded page gets the new files even before this worker is replaced.
 *   A network that has not answered within SHELL_WAIT_MS is taken as gone,
 *   so that a start without network (a silent one too) is quick.
 * - The playlist is fetched from the network; when the network is gone the
 *   last loop the page took (the page keeps it in the data cache) is
 *   answered, marked X-Player-Cache.
 * - Media of the loop are put into the media cache by the page; here they
 *   are answered from it, Range requests (video) with a slice of the file.
 */

const SHELL_CACHE = CONFIG.caches.shell + CONFIG.version;
const PLAYLIST_PATH = new URL(CONFIG.playlist, self.location.href).pathname;
const SHELL_PATHS = new Set(CONFIG.shell.map((url) => new URL(url, self.location.href).pathname));
const SHELL_WAIT_MS = 3000;

self.addEventListener("install", (event) => {
    event.waitUntil(
        caches
            .open(SHELL_CACHE)
            .then((cache) => cache.addAll(CONFIG.shell))
            .then(() => self.skipWaiting()),
    );
});

self.addEventListener("activate", (event) => {
    event.waitUntil(
        (async () => {
            for (const name of await caches.keys()) {
                if (name.startsWith(CONFIG.caches.shell) && name !== SHELL_CACHE) {
                    await caches.delete(name);
                }
            }
            await self.clients.claim();
        })(),
    );
});

self.addEventListener("fetch", (event) => {
    const { request } = event;
    if (request.method !== "GET") return;
    const { pathname } = new URL(request.url);
    if (request.mode === "navigate" || SHELL_PATHS.has(pathname)) {
        event.respondWith(shell(request));
    } else if (pathname === PLAYLIST_PATH) {
        event.respondWith(playlist(request));
    } else {
        event.respondWith(cachedOrNetwork(request));
    }
});

async function shell(request) {
    let timer;
    const silence = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("no answer")), SHELL_WAIT_MS);
    });
    // A navigation request cannot be given an abort signal: a fetch that
    // lost the race is left to end by itself.
    const network = fetch(request);
    try {
        return await Promise.race([network, silence]);
    } catch {
        // The page is cached without its query string (?heartbeat=…).
        const key = request.mode === "navigate" ? CONFIG.scope : request.url;
        const cached = await caches.match(key, { cacheName: SHELL_CACHE });
        return cached || network; // nothing cached: the network after all
    } finally {
        clearTimeout(timer);
    }
}

async function playlist(request) {
    const cache = await caches.open(CONFIG.caches.data);
    let response;
    try {
        response = await fetch(request);
    } catch (error) {
        return lastPlaylist(cache, request, error);
    }
    if (response.status === 401) await cache.delete(CONFIG.playlist);
    return response;
}

async function lastPlaylist(cache, request, error) {
    const cached = await cache.match(CONFIG.playlist);
    if (!cached) throw error;
    const headers = new Headers(cached.headers);
    headers.set("X-Player-Cache", "offline");
    const known = request.headers.get("If-None-Match");
    if (known && known === cached.headers.get("ETag")) {
        return new Response(null, { status: 304, headers });
    }
    return new Response(cached.body, { status: 200, headers });
}

async function cachedOrNetwork(request) {
    const cached = await caches.match(request.url);
    if (!cached) return fetch(request);
    const range = request.headers.get("Range");
    return range ? slice(cached, range) : cached;
}

/* A 206 with the requested bytes of a cached full response: media elements
 * ask for ranges, and the cache holds whole files. */
async function slice(response, range) {
    const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (!match || (match[1] === "" && match[2] === "")) return response; // whole file
    const blob = await response.blob();
    const size = blob.size;
    let start;
    let end;
    if (match[1] === "") {
        start = Math.max(0, size - Number(match[2])); // the last N bytes
        end = size - 1;
    } else {
        start = Number(match[1]);
        end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
    }
    if (start >= size || start > end) {
        return new Response(null, {
            status: 416,
            headers: { "Content-Range": `bytes */${size}` },
        });
    }
    return new Response(blob.slice(start, end + 1), {
        status: 206,
        statusText: "Partial Content",
        headers: {
            "Content-Type": response.headers.get("Content-Type") || blob.type,
            "Content-Length": String(end - start + 1),
            "Content-Range": `bytes ${start}-${end}/${size}`,
            "Accept-Ranges": "bytes",
        },
    });
}

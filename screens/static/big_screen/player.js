/* 科普大屏 player: pairs the screen, plays its loop gaplessly from two
 * stacked slots (the hidden one preloads the next item), obeys emergencies,
 * keeps the loop in Cache Storage for offline play (sw.js serves it), and
 * sends heartbeats and proof of play. Both go through a queue in IndexedDB
 * first and leave it once the server took them: while the network is cut
 * they wait (a heartbeat with the time it was taken), and on reconnect
 * they are sent in batches, so the minutes the screen played offline count.
 *
 * A changed loop (a withdrawal or a correction, say) is taken at once: an
 * item on screen that left the loop or whose file changed stops, the files
 * no longer in the loop leave Cache Storage, and then a heartbeat names the
 * loop's ETag, which confirms the change to the server (screens/advisories.py).
 * IndexedDB holds no media: only the token, the clock, queued plays and
 * queued heartbeats.
 *
 * Images and cards show for their duration_seconds; a video plays to its
 * end (a stalled one is skipped after STALL_SECONDS).
 *
 * Remote care: a playlist poll marked X-Screen-Commands makes the player
 * fetch the operator's commands (screens/commands.py), do each (a
 * screenshot drawn from what it shows, clearing its cache, reloading) and
 * answer each, with the reason when it failed.
 *
 * The page state is visible on <body>: data-state (starting, pairing,
 * playing, idle), data-playing (the playlist item's id, or "emergency"
 * with data-emergency holding the emergency's id), data-kind and
 * data-online (false while polls fail, which shows the offline mark in a
 * corner). Query parameter: ?heartbeat=SECONDS (default 60, minimum 2).
 *
 * A start (a reload, a reboot) plays the loop last taken at once, from
 * Cache Storage, before its first poll: with no network that poll may
 * only fail after REQUEST_TIMEOUT_MS. Only a loop whose playlist format
 * this player reads (PLAYLIST_FORMAT) is taken or kept; a newer one is
 * reported and the loop playing goes on.
 */

const config = JSON.parse(document.getElementById("player-config").textContent);
const messages = config.messages;

const REQUEST_TIMEOUT_MS = 15000;
const LOAD_TIMEOUT_MS = 20000;
const PAIR_POLL_MS = 2000;
const RETRY_MS = 5000;
const MAX_RETRY_MS = 5 * 60 * 1000;
const STALL_SECONDS = 10;
const STORAGE_SHARE = 0.9; // leave a tenth of the quota to the browser
const MAX_ERRORS = 50; // the heartbeat's limits (telemetry.py)
const MAX_MESSAGE = 500;
const PLAYS_PER_BATCH = 500;
const MAX_QUEUED_PLAYS = 20000; // about a week of plays offline
const BEATS_PER_BATCH = 240; // four hours of heartbeats (telemetry.py takes 500)
const MAX_QUEUED_BEATS = 7 * 24 * 60; // a week of heartbeats, one a minute
const RELOADED_FOR = "kepu-player-reloaded-for";
const PLAYLIST_FORMAT = 1; // the playlist layout this player reads (api.PLAYLIST_FORMAT)
const CACHE_STALL_SECONDS = 30; // a download that stops moving is given up
const COMMANDS_HEADER = "X-Screen-Commands";
const SCREENSHOT_WIDTH = 1280; // at most: the upload stays well under its limit
const SCREENSHOT_QUALITY = 0.8;

const body = document.body;
const heartbeatSeconds = Math.max(
    2,
    Number(new URLSearchParams(location.search).get("heartbeat")) ||
        config.heartbeatSeconds,
);
// For tests only: a storage budget in bytes, as if the disk were that small.
const testStorageBudget =
    Number(new URLSearchParams(location.search).get("test_storage_budget")) || Infinity;

function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}

function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout(promise, ms, message) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Storage: the token and clock in "state", the queues in "plays" and "beats" --

const database = new Promise((resolve, reject) => {
    const request = indexedDB.open("kepu-player", 2);
    request.onupgradeneeded = () => {
        const db = request.result;
        const missing = (name) => !db.objectStoreNames.contains(name);
        if (missing("state")) db.createObjectStore("state");
        for (const name of ["plays", "beats"]) {
            if (missing(name)) db.createObjectStore(name, { autoIncrement: true });
        }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
});

/* Run `work` on one store in one transaction; resolve, once committed,
 * with what the function `work` returned gives. */
async function inStore(name, mode, work) {
    const db = await database;
    return new Promise((resolve, reject) => {
        const transaction = db.transaction(name, mode);
        const result = work(transaction.objectStore(name));
        transaction.oncomplete = () => resolve(result?.());
        transaction.onabort = () => reject(transaction.error);
    });
}

const saved = {
    get: (key) =>
        inStore("state", "readonly", (store) => {
            const request = store.get(key);
            return () => request.result;
        }),
    set: (key, value) => inStore("state", "readwrite", (store) => void store.put(value, key)),
    remove: (key) => inStore("state", "readwrite", (store) => void store.delete(key)),
};

/* A queue of records in one store, oldest first, holding at most `limit`:
 * add() drops the oldest past it and resolves with how many it dropped. */
function storedQueue(name, limit) {
    return {
        add: (record) =>
            inStore(name, "readwrite", (store) => {
                store.add(record);
                const counting = store.count();
                let dropped = 0;
                counting.onsuccess = () => {
                    let excess = counting.result - limit;
                    if (excess <= 0) return;
                    store.openKeyCursor().onsuccess = (event) => {
                        const cursor = event.target.result;
                        if (!cursor || excess-- <= 0) return;
                        store.delete(cursor.key);
                        dropped += 1;
                        cursor.continue();
                    };
                };
                return () => dropped;
            }),
        oldest: (count) =>
            inStore(name, "readonly", (store) => {
                const keys = store.getAllKeys(null, count);
                const records = store.getAll(null, count);
                return () => keys.result.map((key, i) => ({ key, record: records.result[i] }));
            }),
        remove: (keys) =>
            inStore(name, "readwrite", (store) => keys.forEach((key) => store.delete(key))),
        clear: () => inStore(name, "readwrite", (store) => void store.clear()),
    };
}

const playQueue = storedQueue("plays", MAX_QUEUED_PLAYS);
const beatQueue = storedQueue("beats", MAX_QUEUED_BEATS);

// Errors for the next heartbeat ---------------------------------------------

const pendingErrors = [];
let lastError = null; // { message, at: performance.now() }, for remote care

function reportError(entry, message) {
    const item = entry && !entry.emergency ? entry.id : null;
    lastError = { message: String(message).slice(0, MAX_MESSAGE), at: performance.now() };
    pendingErrors.push({ item, message: String(message).slice(0, MAX_MESSAGE) });
    pendingErrors.splice(0, pendingErrors.length - MAX_ERRORS);
    console.warn(message);
}

function reason(error) {
    return error?.message || String(error);
}

// The server's API ------------------------------------------------------------

class Unauthorized extends Error {}

let token = null;

async function call(url, { method = "GET", body: payload, headers = {} } = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    const sent = { ...headers };
    const raw = payload instanceof Blob; // a screenshot, sent as it is
    if (payload !== undefined) sent["Content-Type"] = raw ? payload.type : "application/json";
    if (token) sent.Authorization = `Bearer ${token}`;
    try {
        const response = await fetch(url, {
            method,
            headers: sent,
            body: payload === undefined || raw ? payload : JSON.stringify(payload),
            cache: "no-store",
            signal: controller.signal,
        });
        if (response.status === 401 && token) throw new Unauthorized();
        return response;
    } finally {
        clearTimeout(timer);
    }
}

function setOnline(online) {
    body.dataset.online = String(online);
}

// Clock: the server's time and time zone, whatever the device's --------------

const clock = { offsetMs: 0, utcOffsetMinutes: 0 };

function utcOffsetMinutes(iso) {
    const match = /([+-])(\d\d):?(\d\d)$/.exec(iso);
    if (!match) return 0;
    const minutes = Number(match[2]) * 60 + Number(match[3]);
    return match[1] === "-" ? -minutes : minutes;
}

/* The server's time has whole seconds: on average it is half a second
 * behind the moment the server answered, taken as the request's middle. */
function learnClock(serverTime, sentAt, receivedAt) {
    const server = Date.parse(serverTime) + 500;
    if (Number.isNaN(server)) return;
    clock.offsetMs = server - (sentAt + receivedAt) / 2;
    clock.utcOffsetMinutes = utcOffsetMinutes(serverTime);
    saved.set("clock", { ...clock });
}

function now() {
    return Date.now() + clock.offsetMs;
}

/* A Date whose UTC fields read as the server's local wall time. */
function serverWallTime(ms) {
    return new Date(ms + clock.utcOffsetMinutes * 60000);
}

// Day parts and date windows: the rule of schedule.py ---------------------------

function minutesOf(text) {
    const [hours, minutes] = text.split(":").map(Number);
    return hours * 60 + minutes;
}

function partCovers(part, weekday, minute) {
    const start = minutesOf(part.start);
    const end = minutesOf(part.end);
    if (start < end) return part.days.includes(weekday) && start <= minute && minute < end;
    const previous = weekday === 1 ? 7 : weekday - 1;
    return (
        (part.days.includes(weekday) && minute >= start) ||
        (part.days.includes(previous) && minute < end)
    );
}

function playsNow(entry) {
    const wall = serverWallTime(now());
    const day = wall.toISOString().slice(0, 10);
    if (entry.starts_on && day < entry.starts_on) return false;
    if (entry.ends_on && day > entry.ends_on) return false;
    const parts = entry.day_parts || [];
    const weekday = wall.getUTCDay() || 7;
    const minute = wall.getUTCHours() * 60 + wall.getUTCMinutes();
    return parts.length === 0 || parts.some((part) => partCovers(part, weekday, minute));
}

// The stage: two stacked slots, one shown, the other loading the next item ------

class Slot {
    constructor(element) {
        this.element = element;
        this.video = element.querySelector("video");
        this.image = element.querySelector("img");
        this.entry = null;
        this.ready = null;
        this.loading = null;
    }

    holds(entry) {
        return this.entry !== null && entryKey(this.entry) === entryKey(entry);
    }

    load(entry) {
        this.loading?.abort();
        this.loading = new AbortController();
        this.entry = entry;
        const isVideo = entry.kind === "video";
        this.video.hidden = !isVideo;
        this.image.hidden = isVideo;
        if (isVideo) {
            this.image.removeAttribute("src");
            this.ready = this.loadVideo(entry.url, this.loading.signal);
        } else {
            this.emptyVideo();
            this.image.src = entry.url;
            this.ready = this.image.decode();
        }
        this.ready.catch(() => {}); // awaited when the item's turn comes
        return this.ready;
    }

    loadVideo(url, signal) {
        const { video } = this;
        return new Promise((resolve, reject) => {
            const failed = () => reject(new Error(mediaErrorText(video.error)));
            video.addEventListener("loadeddata", () => resolve(), { once: true, signal });
            video.addEventListener("error", failed, { once: true, signal });
            signal.addEventListener("abort", () => reject(new Error("superseded")));
            video.src = url;
            video.load();
        });
    }

    emptyVideo() {
        this.video.pause();
        if (this.video.hasAttribute("src")) {
            this.video.removeAttribute("src");
            this.video.load(); // lets go of the previous file
        }
    }

    clear() {
        this.loading?.abort();
        this.entry = null;
        this.ready = null;
        this.emptyVideo();
        this.image.removeAttribute("src");
    }

    show() {
        this.element.classList.add("is-current");
    }

    hide() {
        this.element.classList.remove("is-current");
        this.video.pause();
    }
}

function mediaErrorText(error) {
    const names = { 1: "aborted", 2: "network", 3: "decode", 4: "unsupported source" };
    return error ? `${names[error.code] || error.code} ${error.message || ""}`.trim() : "error";
}

function entryKey(entry) {
    return `${entry.emergency ? "emergency" : "item"}:${entry.id}:${entry.url}`;
}

const slots = [...document.querySelectorAll("[data-slot]")].map(
    (element) => new Slot(element),
);

// Playing the loop ------------------------------------------------------------

let playlist = null;
let etag = null;
let position = -1; // index in playlist.items of the item playing or last played
let current = null; // { entry, slot, startedAt, clockStart, timers, lastTime, lastProgress }
let turn = 0; // bumped by each advance(), so that an overtaken one gives up
let idleTimer = null;
let reloadFor = null; // the release version to switch to once the item ends
let reloadTo = null; // and its address
let confirmedEmergency = null;
let loopTaken = null; // the ETag of the loop whose stale files have left the cache
let idleUntilDue = false; // idle because nothing is due: start once something is
let refusedLoop = null; // the ETag of the last playlist refused for its format

function emergencyEntry() {
    const emergency = playlist?.emergency;
    if (!emergency || Date.parse(emergency.ends_at) <= now()) return null;
    return { ...emergency, emergency: true };
}

/* The next entry to play and the loop position it comes from. */
function peekNext() {
    const emergency = emergencyEntry();
    if (emergency) return { entry: emergency, index: position };
    const items = playlist?.items || [];
    for (let step = 1; step <= items.length; step += 1) {
        const index = (position + step + items.length) % items.length;
        if (playsNow(items[index])) return { entry: items[index], index };
    }
    return null;
}

function shownSlot() {
    return slots.find((slot) => slot.element.classList.contains("is-current")) || null;
}

function spareSlot() {
    return slots.find((slot) => slot !== shownSlot());
}

function playedSeconds(played) {
    if (played.entry.kind === "video") return played.slot.video.currentTime;
    return (performance.now() - played.clockStart) / 1000;
}

/* End the current item; its proof of play goes to the queue (the promise
 * settles once it is stored). */
async function finishCurrent() {
    if (!current) return;
    const finished = current;
    current = null;
    finished.timers.forEach(clearTimeout);
    const seconds = Math.round(playedSeconds(finished) * 10) / 10;
    finished.slot.video.pause();
    if (seconds <= 0) return;
    const dropped = await playQueue.add({
        id: newId(),
        [finished.entry.emergency ? "emergency" : "item"]: finished.entry.id,
        started_at: new Date(finished.startedAt).toISOString(),
        seconds,
    });
    if (dropped) reportError(null, format(messages.queueFull, { count: dropped }));
}

function showIdle() {
    current = null;
    slots.forEach((slot) => {
        slot.hide();
        slot.clear();
    });
    delete body.dataset.playing;
    delete body.dataset.kind;
    delete body.dataset.emergency;
    body.dataset.state = "idle";
    idleUntilDue = peekNext() === null;
    showNotice(playlist ? messages.empty : messages.loading);
    clearTimeout(idleTimer);
    idleTimer = setTimeout(advance, RETRY_MS);
}

function showNotice(text) {
    document.querySelector("[data-notice]").hidden = !text;
    document.querySelector("[data-notice-text]").textContent = text || "";
    document.querySelector("[data-screen-name]").textContent = playlist?.screen?.name || "";
}

/* Go to the release's address (the same page again before any release is
 * recorded); the token and the queued plays stay in the origin's IndexedDB. */
function reloadNow() {
    sessionStorage.setItem(RELOADED_FOR, reloadFor);
    location.replace(reloadTo + location.search);
}

/* Move on to the next playable entry: the current one ends (its play is
 * recorded), the next one, preloaded in the spare slot if all went to plan,
 * is swapped in. Entries that fail to load are reported and skipped. */
async function advance() {
    const myTurn = ++turn;
    clearTimeout(idleTimer);
    const recorded = finishCurrent();
    if (!token) return;
    if (reloadFor) {
        await recorded; // the play must be stored before the page goes
        return reloadNow();
    }
    const attempts = (playlist?.items.length || 0) + 1;
    for (let attempt = 0; attempt < attempts; attempt += 1) {
        const next = peekNext();
        if (!next) break;
        const slot = spareSlot();
        if (!slot.holds(next.entry)) slot.load(next.entry);
        try {
            await withTimeout(slot.ready, LOAD_TIMEOUT_MS, "load timed out");
        } catch (error) {
            if (myTurn !== turn) return;
            reportError(next.entry, format(messages.mediaError, { title: next.entry.title, reason: reason(error) }));
            slot.clear();
            position = next.index;
            continue;
        }
        if (myTurn !== turn) return;
        position = next.index;
        start(next.entry, slot, myTurn);
        return;
    }
    showIdle();
}

function start(entry, slot, myTurn) {
    const previous = shownSlot();
    slot.show();
    if (previous && previous !== slot) previous.hide();
    showNotice("");
    current = {
        entry,
        slot,
        startedAt: now(),
        clockStart: performance.now(),
        timers: [],
        lastTime: -1,
        lastProgress: performance.now(),
    };
    body.dataset.state = "playing";
    body.dataset.playing = entry.emergency ? "emergency" : String(entry.id);
    body.dataset.kind = entry.kind;
    if (entry.emergency) body.dataset.emergency = String(entry.id);
    else delete body.dataset.emergency;
    if (entry.kind === "video") {
        playVideo(slot.video, entry, myTurn);
    } else {
        const endOfSlot = () => myTurn === turn && advance();
        current.timers.push(setTimeout(endOfSlot, entry.duration_seconds * 1000));
    }
    if (entry.emergency && confirmedEmergency !== entry.id) {
        confirmedEmergency = entry.id;
        sendHeartbeat(); // the heartbeat naming the emergency confirms it
    }
    preloadNext();
}

async function playVideo(video, entry, myTurn) {
    try {
        await video.play();
    } catch (error) {
        if (myTurn !== turn) return;
        if (error.name === "NotAllowedError" && !video.muted) {
            // No autoplay with sound without --autoplay-policy: play muted.
            slots.forEach((slot) => (slot.video.muted = true));
            return playVideo(video, entry, myTurn);
        }
        reportError(entry, format(messages.mediaError, { title: entry.title, reason: reason(error) }));
        advance();
    }
}

function preloadNext() {
    const next = peekNext();
    const slot = spareSlot();
    if (next && !slot.holds(next.entry)) slot.load(next.entry);
}

function onVideoEvent(slot, event) {
    if (current?.slot !== slot) return;
    if (event.type === "error") {
        const entry = current.entry;
        reportError(entry, format(messages.mediaError, { title: entry.title, reason: mediaErrorText(slot.video.error) }));
    }
    advance();
}

slots.forEach((slot) => {
    slot.video.addEventListener("ended", (event) => onVideoEvent(slot, event));
    slot.video.addEventListener("error", (event) => onVideoEvent(slot, event));
});

/* Once a second: an emergency that began or ended interrupts at once, so
 * does the end of the playing item's day part or date window (the start
 * of one ends an idle wait), and a video that stopped moving is skipped. */
function watch() {
    const emergency = emergencyEntry();
    const playing = current?.entry;
    if (!playing) {
        const due = emergency || (idleUntilDue && peekNext());
        if (due && body.dataset.state === "idle") advance();
        return;
    }
    const wrongEmergency = emergency && (!playing.emergency || playing.id !== emergency.id);
    if (wrongEmergency || (!emergency && playing.emergency)) return advance();
    if (!playing.emergency && !playsNow(playing)) return advance();
    if (playing.kind === "video") watchForStall();
}

function watchForStall() {
    const { video } = current.slot;
    if (video.currentTime !== current.lastTime) {
        current.lastTime = video.currentTime;
        current.lastProgress = performance.now();
    } else if (performance.now() - current.lastProgress > STALL_SECONDS * 1000) {
        const entry = current.entry;
        reportError(entry, format(messages.stalled, { title: entry.title, seconds: STALL_SECONDS }));
        advance();
    }
}

// The playlist --------------------------------------------------------------------

let pollTimer = null;

async function pollPlaylist() {
    const myToken = token;
    try {
        const sentAt = Date.now();
        const headers = etag ? { "If-None-Match": etag } : {};
        const response = await call(config.api.playlist, { headers });
        const fromCache = response.headers.has("X-Player-Cache");
        setOnline(!fromCache);
        if (response.status === 200) {
            const fresh = await response.json();
            const tag = response.headers.get("ETag");
            if (readable(fresh, tag)) {
                if (!fromCache) learnClock(fresh.server_time, sentAt, Date.now());
                etag = tag;
                usePlaylist(fresh, fromCache);
                if (!fromCache) rememberLoop(fresh, tag).catch(loopNotKept);
            } else if (!fromCache) {
                followVersion(fresh.player_version, fresh.player_url); // the newer player reads it
            }
        } else if (response.status !== 304) {
            reportError(null, format(messages.playlistFailed, { status: response.status }));
        }
        if (!fromCache) {
            flushQueues();
            if (mediaCache.incomplete) cacheLoop();
            if (response.headers.has(COMMANDS_HEADER)) runCommands();
            if (playlist?.player_version === config.version) {
                forgetOtherReleases().catch((error) => reportError(null, reason(error)));
            }
        }
    } catch (error) {
        if (error instanceof Unauthorized) return unpair();
        setOnline(false);
    }
    if (token !== myToken) return;
    const seconds = playlist?.poll_seconds || config.pollSeconds;
    pollTimer = setTimeout(pollPlaylist, seconds * 1000);
}

function usePlaylist(fresh, fromCache) {
    const playingId = current && !current.entry.emergency ? current.entry.id : null;
    playlist = fresh;
    const index = fresh.items.findIndex((item) => item.id === playingId);
    position = index >= 0 ? index : Math.min(position, fresh.items.length - 1);
    if (!fromCache) followVersion(fresh.player_version, fresh.player_url);
    if (!current || !inLoop(current.entry)) advance(); // withdrawn or corrected: off now
    else watch();
    if (current) preloadNext();
    cacheLoop();
}

/* Whether this player reads the playlist's format. A newer one is refused
 * (reported once) and the loop playing goes on. */
function readable(fresh, tag) {
    if (fresh.format === PLAYLIST_FORMAT) return true;
    if (tag !== refusedLoop) {
        refusedLoop = tag;
        const values = { format: fresh.format, supported: PLAYLIST_FORMAT };
        reportError(null, format(messages.unknownFormat, values));
    }
    return false;
}

/* Keep the loop taken where sw.js answers the playlist from while offline
 * and where a start finds it. */
async function rememberLoop(fresh, tag) {
    if (!("caches" in window)) return;
    const cache = await caches.open(config.caches.data);
    const headers = { "Content-Type": "application/json", ETag: tag };
    await cache.put(config.api.playlist, new Response(JSON.stringify(fresh), { headers }));
}

function loopNotKept(error) {
    reportError(null, format(messages.loopNotKept, { reason: reason(error) }));
}

/* Play the loop last taken at once, whatever the network. */
async function resumeLastLoop() {
    try {
        const options = { cacheName: config.caches.data };
        const cached = await window.caches?.match(config.api.playlist, options);
        if (!cached) return;
        const tag = cached.headers.get("ETag");
        const last = await cached.json();
        if (!readable(last, tag)) return;
        etag = tag;
        usePlaylist(last, true);
    } catch (error) {
        reportError(null, format(messages.lastLoopUnreadable, { reason: reason(error) }));
    }
}

/* Whether the loop still has this entry with the same file. */
function inLoop(entry) {
    if (entry.emergency) {
        const emergency = emergencyEntry();
        return emergency !== null && entryKey(emergency) === entryKey(entry);
    }
    return playlist.items.some((item) => entryKey(item) === entryKey(entry));
}

function followVersion(version, address) {
    if (typeof version === "string" && version !== config.version) {
        newVersion(version, address);
    }
}

/* Running the release it is asked for, the player removes the Service
 * Workers and shell caches of every other release's address, once per page:
 * a year of updates leaves one of each. The default address (/player/),
 * where a kiosk starts, keeps its own. */
let othersForgotten = false;

async function forgetOtherReleases() {
    if (othersForgotten || !config.releases) return;
    othersForgotten = true;
    const releases = new URL(config.releases.scopes, location.href).href;
    const own = new URL(config.scope, location.href).href;
    for (const registration of (await navigator.serviceWorker?.getRegistrations()) || []) {
        if (registration.scope.startsWith(releases) && registration.scope !== own) {
            await registration.unregister();
        }
    }
    for (const name of (await window.caches?.keys()) || []) {
        if (name.startsWith(config.releases.shells) && !name.startsWith(config.caches.shell)) {
            await caches.delete(name);
        }
    }
}

/* Another release for this screen (a new deploy, a pin, a promotion):
 * switch to it after the current item, once per version (a page served
 * from the offline cache may stay old; it must not switch forever). */
function newVersion(version, address) {
    if (sessionStorage.getItem(RELOADED_FOR) === version) return;
    reloadFor = version;
    reloadTo = new URL(address || location.pathname, location.href).pathname;
    if (!current) reloadNow();
}

// Offline: the loop's media in Cache Storage, where sw.js finds them --------------

const mediaCache = { running: null, again: false, incomplete: false };

function cacheLoop() {
    if (!("caches" in window)) return tookLoop(etag);
    if (mediaCache.running) {
        mediaCache.again = true;
        return;
    }
    mediaCache.running = fillMediaCache().finally(() => {
        mediaCache.running = null;
        if (mediaCache.again) {
            mediaCache.again = false;
            cacheLoop();
        }
    });
}

async function fillMediaCache() {
    const taking = etag;
    const emergency = playlist?.emergency ? [playlist.emergency] : [];
    const wanted = new Map();
    for (const entry of [...emergency, ...(playlist?.items || [])]) {
        wanted.set(new URL(entry.url, location.href).href, entry);
    }
    const cache = await caches.open(config.caches.media);
    const cached = new Set();
    for (const request of await cache.keys()) {
        if (wanted.has(request.url)) cached.add(request.url);
        else await cache.delete(request); // no longer in the loop
    }
    tookLoop(taking);
    mediaCache.incomplete = false;
    for (const [url, entry] of wanted) {
        if (!cached.has(url) && token) await cacheOne(cache, url, entry);
    }
}

/* The loop is played and its stale files are gone: say so at once. */
function tookLoop(tag) {
    if (!tag || tag === loopTaken) return;
    loopTaken = tag;
    sendHeartbeat();
}

/* Cache one file of the loop unless it would take more than the room
 * left; a file that does not fit is reported and plays from the network
 * while there is one. */
async function cacheOne(cache, url, entry) {
    const download = new AbortController();
    const noRoom = () => reportError(entry, format(messages.noRoom, { title: entry.title }));
    try {
        const response = await fetchWatched(url, download);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const size = Number(response.headers.get("Content-Length")) || 0;
        if (!(await roomFor(size))) return noRoom(); // the abort below drops the body
        await cache.put(url, response);
        if (!(await roomFor(0))) {
            await cache.delete(url); // its size was not announced, and too large
            noRoom();
        }
    } catch (error) {
        if (error.name === "QuotaExceededError") return noRoom();
        mediaCache.incomplete = true; // offline or server trouble: retry later
        reportError(entry, format(messages.cacheFailed, { title: entry.title, reason: reason(error) }));
    } finally {
        // Never awaited: a cancelled body's promise need not settle.
        download.abort();
    }
}

/* fetch() given up once no byte has come for CACHE_STALL_SECONDS: a network
 * gone silent never ends a body, and would hold the cache's filling. */
async function fetchWatched(url, controller) {
    let timer;
    const stalled = new Error(format(messages.downloadStalled, { seconds: CACHE_STALL_SECONDS }));
    const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(stalled), CACHE_STALL_SECONDS * 1000);
    };
    controller.signal.addEventListener("abort", () => clearTimeout(timer));
    arm();
    const response = await fetch(url, { cache: "no-store", signal: controller.signal });
    if (!response.body) return response;
    const moving = new TransformStream({
        transform(chunk, sink) {
            arm();
            sink.enqueue(chunk);
        },
        flush: () => clearTimeout(timer),
    });
    const { status, statusText, headers } = response;
    return new Response(response.body.pipeThrough(moving), { status, statusText, headers });
}

/* The storage this player may fill: a share of the browser's quota (or
 * the test budget, if smaller) and what is used of it; null if unknown. */
async function storage() {
    if (!navigator.storage?.estimate) return null;
    const { quota = Infinity, usage = 0 } = await navigator.storage.estimate();
    return { usage, quota: Math.min(quota, testStorageBudget) };
}

async function roomFor(bytes) {
    const known = await storage();
    return !known || known.usage + bytes <= known.quota * STORAGE_SHARE;
}

async function freeBytes() {
    const known = await storage();
    if (!known || known.quota === Infinity) return null;
    return Math.max(0, Math.floor(known.quota - known.usage));
}

function registerServiceWorker() {
    if (!("serviceWorker" in navigator)) {
        return reportError(null, format(messages.noOffline, { reason: "serviceWorker" }));
    }
    navigator.serviceWorker
        .register(config.serviceWorker, { scope: config.scope, type: "classic" })
        .catch((error) => reportError(null, format(messages.noOffline, { reason: reason(error) })));
    navigator.storage?.persist?.();
}

// Heartbeats and proof of play ---------------------------------------------------

let heartbeatTimer = null;

/* Queue a heartbeat with the time it is taken and what is playing, then
 * send the queue: the errors pending so far travel with this beat. */
async function sendHeartbeat() {
    if (!token) return;
    const playing = current?.entry;
    const beat = {
        at: new Date(now()).toISOString(),
        version: config.version,
        playing: playing && !playing.emergency ? playing.id : null,
        emergency: playing?.emergency ? playing.id : null,
        loop: loopTaken,
        storage_free_bytes: await freeBytes(),
        errors: pendingErrors.splice(0),
        ...(await careReport()),
    };
    await beatQueue.add(beat);
    flushQueue(outboxes.beats);
}

/* Where each queue goes, in batches of `perBatch` under `field`. */
const outboxes = {
    plays: {
        queue: playQueue,
        url: config.api.plays,
        field: "plays",
        perBatch: PLAYS_PER_BATCH,
        rejected: messages.playRejected,
        flushing: false,
    },
    beats: {
        queue: beatQueue,
        url: config.api.heartbeat,
        field: "beats",
        perBatch: BEATS_PER_BATCH,
        rejected: messages.beatRejected,
        flushing: false,
    },
};

function flushQueues() {
    Object.values(outboxes).forEach(flushQueue);
}

/* Send a queue (after each poll or heartbeat, and when the browser is back
 * online), oldest first, a batch at a time; each record leaves the queue
 * only once the server accepted it (or refused it for good). */
async function flushQueue(outbox) {
    if (outbox.flushing || !token) return;
    outbox.flushing = true;
    try {
        for (;;) {
            const batch = await outbox.queue.oldest(outbox.perBatch);
            if (batch.length === 0) break;
            const response = await call(outbox.url, {
                method: "POST",
                body: { [outbox.field]: batch.map(({ record }) => record) },
            });
            setOnline(true);
            if (response.ok) await outbox.queue.remove(batch.map(({ key }) => key));
            else if (response.status === 400) await sendOneByOne(outbox, batch);
            else break; // the server is in trouble: next time
        }
    } catch (error) {
        if (error instanceof Unauthorized) unpair();
        else setOnline(false);
    } finally {
        outbox.flushing = false;
    }
}

/* A refused batch: find the records the server will never take (a play of
 * an item deleted since, say) and drop only those. */
async function sendOneByOne(outbox, batch) {
    for (const { key, record } of batch) {
        const body = { [outbox.field]: [record] };
        const response = await call(outbox.url, { method: "POST", body });
        if (response.status === 400) {
            const refusal = await response.json().catch(() => ({}));
            reportError(null, format(outbox.rejected, { reason: refusal.error || "400" }));
        } else if (!response.ok) {
            throw new Error(`HTTP ${response.status}`);
        }
        await outbox.queue.remove([key]);
    }
}

// Remote care: the operator's commands ---------------------------------------------

/* What a heartbeat says for remote care: durations, not the device's clock. */
async function careReport() {
    const estimate = (await navigator.storage?.estimate?.().catch(() => null)) || {};
    const seconds = (since) => Math.round((performance.now() - since) / 100) / 10;
    return {
        storage_used_bytes: estimate.usage ?? null,
        uptime_seconds: seconds(0),
        last_error: lastError && { message: lastError.message, seconds_ago: seconds(lastError.at) },
    };
}

let caring = false;

/* Fetch the commands waiting for this screen and do them, a reload last:
 * the others are answered before the page goes. */
async function runCommands() {
    if (caring || !token) return;
    caring = true;
    try {
        const response = await call(config.api.commands);
        if (!response.ok) return;
        const { commands } = await response.json();
        const reloads = commands.filter((command) => command.kind === "reload");
        for (const command of commands) {
            if (command.kind !== "reload") await perform(command);
        }
        if (reloads.length === 0) return;
        await Promise.all(reloads.map((command) => answer(command)));
        await finishCurrent(); // its play is stored before the page goes
        location.reload();
    } catch (error) {
        if (error instanceof Unauthorized) unpair();
    } finally {
        caring = false;
    }
}

const COMMANDS = { screenshot: uploadScreenshot, clear_cache: clearCache };

async function perform(command) {
    try {
        if (!COMMANDS[command.kind]) throw new Error(`unknown command ${command.kind}`);
        await COMMANDS[command.kind](command);
        if (command.kind !== "screenshot") await answer(command); // the upload answers it
    } catch (error) {
        if (error instanceof Unauthorized) throw error;
        reportError(null, format(messages.commandFailed, { command: command.kind, reason: reason(error) }));
        await answer(command, reason(error));
    }
}

function answer(command, error = null) {
    const body = error === null ? {} : { error: String(error).slice(0, MAX_MESSAGE) };
    return call(`${config.api.commands}${command.id}/ack/`, { method: "POST", body });
}

async function uploadScreenshot(command) {
    const picture = await drawScreen();
    const url = `${config.api.commands}${command.id}/screenshot/`;
    const response = await call(url, { method: "POST", body: picture });
    if (!response.ok) {
        const refusal = await response.json().catch(() => ({}));
        throw new Error(refusal.error || `HTTP ${response.status}`);
    }
}

/* A JPEG of what the screen shows: the current video frame or image, as
 * the page fits it (object-fit: contain), and the notice text over it. */
function drawScreen() {
    const scale = Math.min(1, SCREENSHOT_WIDTH / innerWidth);
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(innerWidth * scale);
    canvas.height = Math.round(innerHeight * scale);
    const context = canvas.getContext("2d");
    context.fillStyle = "#000";
    context.fillRect(0, 0, canvas.width, canvas.height);
    if (current) {
        const { slot, entry } = current;
        drawContained(context, entry.kind === "video" ? slot.video : slot.image);
    }
    drawNotice(context);
    return new Promise((resolve, reject) => {
        const done = (blob) => (blob ? resolve(blob) : reject(new Error("canvas.toBlob")));
        canvas.toBlob(done, "image/jpeg", SCREENSHOT_QUALITY); // throws if tainted
    });
}

function drawContained(context, media) {
    const width = media.videoWidth || media.naturalWidth;
    const height = media.videoHeight || media.naturalHeight;
    if (!width || !height) return;
    const { width: canvasWidth, height: canvasHeight } = context.canvas;
    const fit = Math.min(canvasWidth / width, canvasHeight / height);
    const [drawnWidth, drawnHeight] = [width * fit, height * fit];
    const [left, top] = [(canvasWidth - drawnWidth) / 2, (canvasHeight - drawnHeight) / 2];
    context.drawImage(media, left, top, drawnWidth, drawnHeight);
}

/* The notice as player.css lays it out: centred, 6vh from the bottom. */
function drawNotice(context) {
    if (document.querySelector("[data-notice]").hidden) return;
    const { width, height } = context.canvas;
    const lines = [
        [document.querySelector("[data-notice-text]").textContent, 0.04, "#f2f2f2"],
        [document.querySelector("[data-screen-name]").textContent, 0.028, "#9a9a9a"],
    ];
    context.textAlign = "center";
    context.textBaseline = "bottom";
    let bottom = height * 0.94;
    for (const [text, size, colour] of lines.reverse()) {
        context.font = `${Math.round(height * size)}px "Noto Sans CJK SC", sans-serif`;
        context.fillStyle = colour;
        context.fillText(text, width / 2, bottom);
        bottom -= height * size * 1.5;
    }
}

/* Drop the loop's media and the kept playlist, then fetch them again: the
 * next poll asks for the whole playlist (sw.js keeps it anew). */
async function clearCache() {
    await Promise.all([
        window.caches?.delete(config.caches.media),
        window.caches?.delete(config.caches.data),
    ]);
    etag = null;
    cacheLoop();
}

// Pairing ---------------------------------------------------------------------------

function showPairing(code, status) {
    body.dataset.state = "pairing";
    document.querySelector("[data-pairing]").hidden = false;
    document.querySelector("[data-pairing-code]").textContent = code;
    document.querySelector("[data-pairing-status]").textContent = status;
}

/* How long to wait before asking again: RETRY_MS doubled for each failure
 * in a row (at most MAX_RETRY_MS), never less than the server's Retry-After,
 * and spread so that screens restarted together do not ask together. */
function retryDelay(response, failures) {
    const told = Number(response?.headers.get("Retry-After")) * 1000 || 0;
    const backoff = Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** failures);
    return Math.max(told, backoff) * (1 + Math.random() / 2);
}

async function requestCode() {
    for (let failures = 0; ; failures += 1) {
        let response = null;
        try {
            response = await call(config.api.pair, { method: "POST", body: {} });
            if (response.status === 201) return await response.json();
        } catch {
            // the server is out of reach: keep asking
        }
        const busy = response?.status === 429;
        showPairing("", busy ? messages.pairingBusy : messages.connecting);
        await sleep(retryDelay(response, failures));
    }
}

/* Show codes until an operator enters one in the admin; the token. */
async function pairScreen() {
    for (;;) {
        const { code, secret, expires_in: expiresIn } = await requestCode();
        showPairing(code, messages.waiting);
        const deadline = Date.now() + expiresIn * 1000;
        while (Date.now() < deadline) {
            await sleep(PAIR_POLL_MS);
            let response;
            try {
                const status = { method: "POST", body: { code, secret } };
                response = await call(config.api.pairStatus, status);
            } catch {
                continue;
            }
            if (response.status === 200) return (await response.json()).token;
            if (response.status === 404) break; // expired: a new code
            if (response.status === 429) await sleep(retryDelay(response, 0));
        }
    }
}

/* The token was revoked (401): forget the screen, its loop and its plays. */
async function unpair() {
    if (!token) return;
    token = null;
    clearTimeout(pollTimer);
    clearInterval(heartbeatTimer);
    clearTimeout(idleTimer);
    turn += 1;
    current = null;
    playlist = null;
    etag = null;
    loopTaken = null;
    position = -1;
    slots.forEach((slot) => {
        slot.hide();
        slot.clear();
    });
    showNotice("");
    delete body.dataset.playing;
    delete body.dataset.kind;
    delete body.dataset.emergency;
    await Promise.all([
        saved.remove("token"),
        playQueue.clear(),
        beatQueue.clear(),
        window.caches?.delete(config.caches.media),
        window.caches?.delete(config.caches.data),
    ]);
    run();
}

// Staying awake -----------------------------------------------------------------------

async function keepAwake() {
    if (!navigator.wakeLock || document.visibilityState !== "visible") return;
    try {
        await navigator.wakeLock.request("screen");
    } catch (error) {
        reportError(null, format(messages.wakeLock, { reason: reason(error) }));
    }
}

document.addEventListener("visibilitychange", keepAwake);

// The box's watchdog ------------------------------------------------------------------

/* deploy/screen-box/kepu-kiosk reads this page's title through Chromium's
 * debugging port and restarts the browser once it stops changing: so it
 * changes every second, from the moment the player has left "starting". */
const pageTitle = document.title;
let aliveSeconds = 0;

setInterval(() => {
    if (body.dataset.state === "starting") return;
    aliveSeconds += 1;
    document.title = `${pageTitle} · ${aliveSeconds}`;
}, 1000);

// Start ---------------------------------------------------------------------------------

async function run() {
    token = (await saved.get("token")) || null;
    if (!token) {
        const paired = await pairScreen();
        await saved.set("token", paired);
        token = paired;
    }
    document.querySelector("[data-pairing]").hidden = true;
    body.dataset.state = "idle";
    showNotice(messages.loading);
    await resumeLastLoop();
    await pollPlaylist();
    sendHeartbeat();
    heartbeatTimer = setInterval(sendHeartbeat, heartbeatSeconds * 1000);
}

async function boot() {
    // The page's own server time is stale when the page came from the
    // offline cache: a clock learnt earlier is better.
    const known = await saved.get("clock");
    if (known) Object.assign(clock, known);
    else learnClock(config.serverTime, Date.now(), Date.now());
    registerServiceWorker();
    keepAwake();
    setInterval(watch, 1000);
    addEventListener("online", flushQueues);
    run();
}

boot();

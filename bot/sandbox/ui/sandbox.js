// Nära sandbox: a browser chat over the built-in Telegram's control API (/sandbox/api).
// Plain JavaScript, no build step, nothing loaded from outside this machine.
"use strict";

(() => {
  const API = "/sandbox/api";
  const POLL_SECONDS = 25;
  const TYPING_SECONDS = 5;
  const PRESS_FAILSAFE_MS = 15000;
  // After a failed request: try again soon, and never wait more than a second, so the page is
  // back within two seconds of the sandbox.
  const RETRY_MS = [250, 500, 1000];
  const AWAY = "The sandbox is not answering. It may be restarting; this page reconnects by itself.";
  const SAMPLE_LOCATION = { latitude: 59.3326, longitude: 18.0649 };
  const STICKERS = ["🙂", "👍", "🙏", "😊"];

  // -- talking to the server ---------------------------------------------------------------

  function retryDelay(failures) {
    return RETRY_MS[Math.min(Math.max(failures - 1, 0), RETRY_MS.length - 1)];
  }

  function pause(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // The browser's own words for a dropped connection ("Failed to fetch") mean nothing to a
  // person: say what happens instead, and let the event loop find the sandbox again.
  async function reach(url, options) {
    try {
      return await fetch(url, options);
    } catch (error) {
      if (options && options.signal && options.signal.aborted) throw error;
      lostTouch();
      throw new Error(AWAY);
    }
  }

  // The built-in Telegram's control API (/sandbox/api); `request` also reaches the page's own
  // tools (/sandbox/clock, /sandbox/checkins), which answer errors the same way.
  function api(method, path, body, signal) {
    return request(method, API + path, body, signal);
  }

  async function request(method, url, body, signal) {
    const options = { method, headers: {}, signal };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await reach(url, options);
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      throw new Error((data && data.error) || `${response.status} ${response.statusText}`);
    }
    return data;
  }

  // -- what we know ------------------------------------------------------------------------

  const store = {
    info: null,
    users: new Map(),
    chats: new Map(), // chat id -> { messages: Map(message id -> view), loading: Promise | null }
    lastSeq: 0,
    presses: new Map(), // callback query id -> { panel, messageId, key }
    answers: new Map(), // callback query id -> answered query (an answer may beat our POST)
    panels: [],
  };

  function chatStore(chatId) {
    let chat = store.chats.get(chatId);
    if (!chat) {
      chat = { messages: new Map(), loading: null };
      store.chats.set(chatId, chat);
    }
    return chat;
  }

  function putMessage(view) {
    const chat = chatStore(view.chat_id);
    const known = chat.messages.get(view.message_id);
    if (!known || view.version >= known.version) chat.messages.set(view.message_id, view);
    return chat.messages.get(view.message_id);
  }

  function loadChat(chatId) {
    const chat = chatStore(chatId);
    if (!chat.loading) {
      chat.loading = api("GET", `/chats/${chatId}/messages?limit=1000`).then(
        (data) => {
          for (const view of data.messages) putMessage(view);
        },
        (error) => {
          chat.loading = null;
          throw error;
        },
      );
    }
    return chat.loading;
  }

  function staffIds() {
    return new Set((store.info ? store.info.staff : []).map((person) => person.id));
  }

  // -- small DOM helpers -------------------------------------------------------------------

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child);
    }
    return node;
  }

  function fullName(user) {
    if (!user) return "";
    return [user.first_name, user.last_name].filter(Boolean).join(" ");
  }

  // Line icons drawn here, so the page looks the same on machines without an emoji font.
  const ICONS = {
    smile: [["circle", { cx: 12, cy: 12, r: 9 }], ["path", { d: "M8.5 14.5c1 1.3 2.2 2 3.5 2s2.5-.7 3.5-2" }],
      ["circle", { cx: 9, cy: 10, r: 0.6, fill: "currentColor" }],
      ["circle", { cx: 15, cy: 10, r: 0.6, fill: "currentColor" }]],
    image: [["rect", { x: 3, y: 5, width: 18, height: 14, rx: 2 }], ["circle", { cx: 9, cy: 10, r: 1.6 }],
      ["path", { d: "M21 16l-5-5-8 8" }]],
    mic: [["rect", { x: 9, y: 3, width: 6, height: 11, rx: 3 }], ["path", { d: "M5 11a7 7 0 0 0 14 0M12 18v3" }]],
    pin: [["path", { d: "M12 21s-6-5.4-6-10a6 6 0 0 1 12 0c0 4.6-6 10-6 10z" }],
      ["circle", { cx: 12, cy: 11, r: 2.2 }]],
    file: [["path", { d: "M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zM14 3v5h5" }]],
    user: [["circle", { cx: 12, cy: 8, r: 4 }], ["path", { d: "M4 21c1.5-4 4.5-6 8-6s6.5 2 8 6" }]],
    film: [["rect", { x: 3, y: 5, width: 18, height: 14, rx: 2 }], ["path", { d: "M10 9l5 3-5 3z" }]],
  };

  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    for (const [key, value] of Object.entries({ viewBox: "0 0 24 24", width: 18, height: 18, fill: "none",
      stroke: "currentColor", "stroke-width": 1.8, "stroke-linecap": "round", "stroke-linejoin": "round",
      "aria-hidden": "true", focusable: "false", class: "icon-svg" })) svg.setAttribute(key, value);
    for (const [tag, attributes] of ICONS[name] || []) {
      const part = document.createElementNS(ns, tag);
      for (const [key, value] of Object.entries(attributes)) part.setAttribute(key, value);
      svg.append(part);
    }
    return svg;
  }

  // Stickers are emoji here; without a colour emoji font they would show as empty boxes.
  const emojiShows = (() => {
    try {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 32;
      const context = canvas.getContext("2d", { willReadFrequently: true });
      context.font = "24px sans-serif";
      context.textBaseline = "top";
      context.fillStyle = "#000";
      context.fillText("🙂", 2, 2);
      const pixels = context.getImageData(0, 0, 32, 32).data;
      for (let at = 0; at < pixels.length; at += 4) {
        if (pixels[at + 3] > 0 && (pixels[at] !== pixels[at + 1] || pixels[at + 1] !== pixels[at + 2])) return true;
      }
    } catch (_) {
      return true;
    }
    return false;
  })();

  function stickerNode(emoji) {
    const label = `Sticker ${emoji || ""}`.trim();
    if (emojiShows) return el("span", { class: "sticker", role: "img", "aria-label": label, text: emoji || "🙂" });
    const face = icon("smile");
    face.setAttribute("width", 72);
    face.setAttribute("height", 72);
    return el("span", { class: "sticker drawn", role: "img", "aria-label": label }, face);
  }

  function card(iconName, text, extraClass) {
    return el("span", { class: `media-card${extraClass ? ` ${extraClass}` : ""}` },
      el("span", { class: "media-icon" }, icon(iconName)), el("span", { text }));
  }

  const clock = new Intl.DateTimeFormat("sv-SE", { hour: "2-digit", minute: "2-digit" });

  function timeOf(seconds) {
    return clock.format(new Date(seconds * 1000));
  }

  function languageLabel(code) {
    const language = (store.info ? store.info.languages : []).find((item) => item.code === code);
    if (!code) return "no language";
    return language ? `${language.name} (${code})` : code;
  }

  // -- toasts ------------------------------------------------------------------------------

  function toast(text, { alert = false } = {}) {
    const region = document.getElementById(alert ? "alerts" : "toasts");
    const note = el("div", { class: alert ? "toast alert" : "toast" },
      el("span", { dir: "auto", text }));
    if (alert) {
      const close = el("button", { type: "button", class: "toast-close", text: "OK" });
      close.addEventListener("click", () => note.remove());
      note.append(close);
      setTimeout(() => close.focus(), 0);
    } else {
      setTimeout(() => note.remove(), 5000);
    }
    region.append(note);
  }

  // -- Telegram HTML, sanitised -------------------------------------------------------------

  // Telegram renders entities with these tags only; everything else keeps just its text.
  const KEPT = new Set(["B", "STRONG", "I", "EM", "U", "S", "DEL", "CODE", "PRE", "BLOCKQUOTE"]);
  const DROPPED = new Set(["SCRIPT", "STYLE", "TEMPLATE", "NOSCRIPT", "IFRAME", "OBJECT", "EMBED",
    "SVG", "MATH", "HEAD", "TITLE", "LINK", "META", "IMG", "VIDEO", "AUDIO", "FORM", "INPUT"]);

  function safeUrl(href) {
    if (!href) return null;
    try {
      const url = new URL(href, window.location.href);
      return ["http:", "https:", "mailto:"].includes(url.protocol) ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  // Telegram makes a bare address in a message a link; so does the sandbox.
  const BARE_URL = /https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'»”]/g;

  function linkedText(text) {
    const fragment = document.createDocumentFragment();
    let from = 0;
    for (const found of text.matchAll(BARE_URL)) {
      const href = safeUrl(found[0]);
      if (!href) continue;
      fragment.append(document.createTextNode(text.slice(from, found.index)));
      fragment.append(el("a", { href, target: "_blank", rel: "noopener noreferrer", text: found[0] }));
      from = found.index + found[0].length;
    }
    fragment.append(document.createTextNode(text.slice(from)));
    return fragment;
  }

  function copySafe(from, to, inLink = false) {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        to.append(inLink ? document.createTextNode(node.data) : linkedText(node.data));
        continue;
      }
      if (node.nodeType !== Node.ELEMENT_NODE || DROPPED.has(node.tagName)) continue;
      let copy = null;
      if (node.tagName === "A") {
        const href = safeUrl(node.getAttribute("href"));
        if (href) copy = el("a", { href, target: "_blank", rel: "noopener noreferrer" });
      } else if (node.tagName === "SPAN" && node.classList.contains("tg-spoiler")) {
        copy = el("span", { class: "tg-spoiler", tabindex: "0", role: "button",
          "aria-label": "Spoiler: press to show" });
      } else if (KEPT.has(node.tagName)) {
        const tag = { STRONG: "b", EM: "i", DEL: "s" }[node.tagName] || node.tagName.toLowerCase();
        copy = el(tag);
        const language = node.tagName === "CODE" && node.getAttribute("class");
        if (language && /^language-[\w+#-]{1,32}$/.test(language)) copy.className = language;
      }
      if (copy) {
        // As in Telegram, code and preformatted text keep their addresses as plain text.
        copySafe(node, copy, inLink || ["A", "CODE", "PRE"].includes(copy.tagName));
        to.append(copy);
      } else {
        copySafe(node, to, inLink);
      }
    }
  }

  function renderTelegramHtml(html) {
    const parsed = new DOMParser().parseFromString(`<!doctype html><body>${html}`, "text/html");
    const fragment = document.createDocumentFragment();
    copySafe(parsed.body, fragment);
    return fragment;
  }

  function revealSpoiler(event) {
    const spoiler = event.target.closest(".tg-spoiler");
    if (!spoiler) return;
    if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
    event.preventDefault();
    spoiler.classList.add("revealed");
    spoiler.removeAttribute("role");
    spoiler.removeAttribute("tabindex");
    spoiler.removeAttribute("aria-label");
  }

  // -- what a message shows ----------------------------------------------------------------

  function serviceText(view) {
    const api = view.api || {};
    const actor = fullName(view.from);
    if (api.group_chat_created || api.supergroup_chat_created) {
      return `${actor} created the group “${api.chat && api.chat.title}”`;
    }
    if (api.new_chat_members) {
      const names = api.new_chat_members.map(fullName);
      const self = api.new_chat_members.length === 1 && api.new_chat_members[0].id === view.from.id;
      return self ? `${names[0]} joined the group` : `${actor} added ${names.join(", ")}`;
    }
    if (api.left_chat_member) {
      const gone = api.left_chat_member;
      return gone.id === view.from.id ? `${fullName(gone)} left the group`
        : `${actor} removed ${fullName(gone)}`;
    }
    if (api.new_chat_title) return `${actor} renamed the group to “${api.new_chat_title}”`;
    return null;
  }

  function mediaOf(view) {
    const api = view.api || {};
    if (api.sticker) return { kind: "sticker", label: `Sticker ${api.sticker.emoji || ""}`, node: stickerNode(api.sticker.emoji) };
    if (api.photo) {
      const biggest = api.photo[api.photo.length - 1] || {};
      const label = `Photo${biggest.width ? ` · ${biggest.width}×${biggest.height}` : ""}`;
      return { kind: "photo", label, node: card("image", label, "photo") };
    }
    if (api.voice || api.audio) {
      const sound = api.voice || api.audio;
      const seconds = sound.duration || 0;
      const length = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
      const label = `${api.voice ? "Voice message" : "Audio"} · ${length}`;
      const node = card("mic", label, "voice");
      node.insertBefore(el("span", { class: "wave", "aria-hidden": "true" }), node.lastChild);
      return { kind: "voice", label, node };
    }
    if (api.location) {
      const { latitude, longitude } = api.location;
      const label = `Location · ${latitude.toFixed(4)}, ${longitude.toFixed(4)}`;
      return { kind: "location", label, node: card("pin", label) };
    }
    if (api.document) {
      const label = api.document.file_name || "Document";
      return { kind: "document", label, node: card("file", label) };
    }
    if (api.video || api.animation) {
      const label = api.video ? "Video" : "GIF";
      return { kind: "video", label, node: card("film", label) };
    }
    if (api.contact) {
      const label = `${api.contact.first_name} · ${api.contact.phone_number}`;
      return { kind: "contact", label, node: card("user", label) };
    }
    return null;
  }

  function snippetOf(view) {
    if (!view) return "a message";
    if (view.text) return view.text.slice(0, 90);
    if (view.caption) return view.caption.slice(0, 90);
    const media = mediaOf(view);
    return media ? media.label : "a message";
  }

  const NAME_COLOURS = ["#0b6e4f", "#8a4b08", "#5b3f9e", "#1d5c96", "#a12d55", "#2f6b1f"];

  function nameColour(id) {
    return NAME_COLOURS[Math.abs(Number(id)) % NAME_COLOURS.length];
  }

  // -- one chat on screen -------------------------------------------------------------------

  class ChatPanel {
    constructor(root, { replies, emptyHint }) {
      this.root = root;
      this.log = root.querySelector(".log");
      this.form = root.querySelector(".composer");
      this.input = root.querySelector(".text-input");
      this.menuButton = root.querySelector(".menu-button");
      this.menu = root.querySelector(".command-menu");
      this.keyboard = root.querySelector(".reply-keyboard");
      this.status = root.querySelector('[data-role="status"]');
      this.replyBar = root.querySelector(".reply-bar");
      this.replies = replies;
      this.emptyHint = emptyHint;
      this.userId = null;
      this.chatId = null;
      this.isGroup = false;
      this.replyTo = null;
      this.elements = new Map();
      this.typingTimer = null;
      this.generation = 0;
      this.stickers = 0;
      // The first message of the bot's answer to what the person last did: a long answer is
      // shown from its first line (where 112 is), not from its end.
      this.answer = null;
      this.pinnedAt = null;
      // The first new message that arrived out of sight, and the marker that leads to it.
      this.unseen = null;
      this.marker = root.querySelector(".new-marker");
      this.marker.addEventListener("click", () => this.showUnseen());
      this.log.addEventListener("scroll", () => this.noticeScroll());

      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.sendText();
      });
      this.input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.sendText();
        }
      });
      this.input.addEventListener("input", () => this.fitInput());
      this.menuButton.addEventListener("click", () => this.toggleMenu());
      this.menu.addEventListener("keydown", (event) => this.menuKeys(event));
      this.root.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && !this.menu.hidden) {
          this.closeMenu();
          this.menuButton.focus();
        }
      });
      document.addEventListener("click", (event) => {
        if (!this.menu.hidden && !event.target.closest(".menu-wrap")) this.closeMenu();
      });
      this.log.addEventListener("click", revealSpoiler);
      this.log.addEventListener("keydown", revealSpoiler);
      for (const chip of root.querySelectorAll("[data-media]")) {
        chip.addEventListener("click", () => this.sendMedia(chip.dataset.media));
      }
      if (this.replyBar) {
        this.replyBar.querySelector('[data-role="reply-cancel"]').addEventListener("click", () => {
          this.setReply(null);
          this.input.focus();
        });
      }
    }

    async show(userId, chatId, { isGroup = false } = {}) {
      const generation = ++this.generation;
      this.userId = userId;
      this.chatId = chatId;
      this.isGroup = isGroup;
      this.setReply(null);
      this.closeMenu();
      this.elements.clear();
      this.log.replaceChildren();
      this.answer = null;
      this.pinnedAt = null;
      this.setUnseen(null);
      this.keyboard.hidden = true;
      this.setTyping(false);
      const ready = userId !== null && chatId !== null;
      for (const control of this.root.querySelectorAll(".composer button, .composer textarea, [data-media]")) {
        control.disabled = !ready;
      }
      if (!ready) {
        this.log.append(el("p", { class: "empty", text: this.emptyHint(this) }));
        return;
      }
      try {
        await loadChat(chatId);
      } catch (error) {
        toast(`Could not load the chat: ${error.message}`, { alert: true });
        return;
      }
      if (generation !== this.generation) return;
      const messages = [...chatStore(chatId).messages.values()].sort((a, b) => a.message_id - b.message_id);
      for (const view of messages) this.upsert(view, { scroll: false });
      this.renderEmpty();
      this.scrollToEnd();
      this.setUnseen(null);
      this.refreshKeyboard();
    }

    shows(chatId) {
      return this.chatId !== null && chatId === this.chatId;
    }

    renderEmpty() {
      const hint = this.log.querySelector(".empty");
      const visible = [...this.elements.values()].length > 0;
      if (visible && hint) hint.remove();
      if (!visible && !hint) {
        this.log.append(el("p", { class: "empty", text: this.emptyHint(this) }));
      }
    }

    nearEnd() {
      return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 120;
    }

    scrollToEnd() {
      this.log.scrollTop = this.log.scrollHeight;
    }

    // Following the conversation: at its end, or where the page put the start of an answer.
    following() {
      if (this.pinnedAt !== null && Math.abs(this.log.scrollTop - this.pinnedAt) <= 2) return true;
      return this.nearEnd();
    }

    // Show the answer from its first line when it is taller than the chat, else to its end.
    // It only ever scrolls down: the answer is the newest thing in the chat.
    showAnswer() {
      const log = this.log;
      const end = log.scrollHeight - log.clientHeight;
      const start = this.answer ? this.answer.offsetTop - 8 : end;
      log.scrollTop = Math.max(0, Math.min(end, start));
      this.pinnedAt = start < end ? log.scrollTop : null;
    }

    // What the person does next (writes, presses a button) starts a new answer.
    startAnswer() {
      this.answer = null;
      this.pinnedAt = null;
    }

    inSight(node) {
      const log = this.log.getBoundingClientRect();
      const top = node.getBoundingClientRect().top;
      return top >= log.top - 1 && top < log.bottom - 24;
    }

    setUnseen(node) {
      this.unseen = node;
      this.marker.hidden = !node;
    }

    showUnseen() {
      if (!this.unseen) return;
      this.answer = this.unseen;
      this.setUnseen(null);
      this.showAnswer();
    }

    noticeScroll() {
      if (this.unseen && (this.inSight(this.unseen) || this.nearEnd())) this.setUnseen(null);
    }

    upsert(view, { scroll = true } = {}) {
      const outgoing = Boolean(view.from && view.from.id === this.userId);
      const stick = this.following() || outgoing;
      const old = this.elements.get(view.message_id);
      const focusKey = old && old.contains(document.activeElement)
        ? document.activeElement.dataset.key : null;
      const node = view.deleted ? null : this.renderMessage(view);
      if (old && node) old.replaceWith(node);
      else if (old) old.remove();
      else if (node) this.insertInOrder(node, view.message_id);
      if (node) this.elements.set(view.message_id, node);
      else this.elements.delete(view.message_id);
      if (focusKey && node) {
        const again = node.querySelector(`[data-key="${focusKey}"]`);
        if (again) again.focus();
      }
      if (view.from_bot && !view.deleted) this.setTyping(false);
      this.renderEmpty();
      if (!scroll) return;
      const arrived = !old && node && node.classList.contains("msg");
      if (arrived && outgoing) {
        this.startAnswer();
        this.setUnseen(null);
        this.scrollToEnd();
      } else if (arrived && stick) {
        // Held at the start of a long answer, the page stays there; else this one starts it.
        if (this.pinnedAt === null) this.answer = node;
        this.showAnswer();
        if (!this.inSight(node) && !this.unseen) this.setUnseen(node);
      } else if (arrived) {
        // Out of sight (the person scrolled up, say to press a button on an older card).
        if (!this.unseen) this.setUnseen(node);
      } else if (stick && this.pinnedAt !== null) {
        this.showAnswer();
      } else if (stick) {
        this.scrollToEnd();
      }
    }

    insertInOrder(node, messageId) {
      const later = [...this.elements.entries()]
        .filter(([id]) => id > messageId)
        .sort((a, b) => a[0] - b[0])[0];
      if (later) this.log.insertBefore(node, later[1]);
      else this.log.append(node);
    }

    renderMessage(view) {
      const service = serviceText(view);
      if (service) {
        return el("div", { class: "msg service", "data-mid": view.message_id },
          el("p", { class: "service-text", dir: "auto", text: service }));
      }
      const outgoing = view.from && view.from.id === this.userId;
      const media = mediaOf(view);
      const hasText = Boolean(view.text || view.caption);
      if (!media && !hasText) return null;

      // dir="auto" on the bubble takes its direction from the message text: the parts with a
      // dir of their own (name, quote, media label, time) don't count.
      const bubble = el("div", { class: "bubble", dir: "auto" });
      if (this.isGroup && !outgoing) {
        const name = el("p", { class: "sender", dir: "auto", text: fullName(view.from) });
        name.style.color = view.from_bot ? "#1d5c6b" : nameColour(view.from.id);
        bubble.append(name);
      }
      if (view.reply_to_message_id) {
        const quoted = chatStore(view.chat_id).messages.get(view.reply_to_message_id);
        const quote = el("button", { type: "button", class: "quote", dir: "auto" },
          el("span", { class: "quote-name", text: quoted ? fullName(quoted.from) : "Message" }),
          el("span", { class: "quote-text", text: snippetOf(quoted) }));
        quote.addEventListener("click", () => this.jumpTo(view.reply_to_message_id));
        bubble.append(quote);
      }
      if (media) {
        bubble.classList.add(`has-${media.kind}`);
        bubble.append(el("div", { class: "media", dir: "ltr" }, media.node));
      }
      if (hasText) {
        const text = el("div", { class: "text" });
        text.append(renderTelegramHtml(view.html || ""));
        bubble.append(text);
      }
      const meta = el("div", { class: "meta", dir: "ltr" });
      if (this.replies) {
        const reply = el("button", { type: "button", class: "reply-action", "data-key": "reply",
          "aria-label": `Reply to ${fullName(view.from)}: ${snippetOf(view)}`, text: "Reply" });
        reply.addEventListener("click", () => {
          this.setReply(view);
          this.input.focus();
        });
        meta.append(reply);
      }
      if (view.edit_date) meta.append(el("span", { class: "edited", text: "edited" }));
      meta.append(el("time", { datetime: new Date(view.date * 1000).toISOString(),
        text: timeOf(view.date) }));
      bubble.append(meta);

      const row = el("div", { class: `msg ${outgoing ? "out" : "in"}`, "data-mid": view.message_id }, bubble);
      if (view.inline_keyboard && view.inline_keyboard.length) {
        row.append(this.renderInlineKeyboard(view));
      }
      return row;
    }

    renderInlineKeyboard(view) {
      const keyboard = el("div", { class: "inline-keyboard", role: "group",
        "aria-label": "Buttons" });
      view.inline_keyboard.forEach((buttons, rowIndex) => {
        const row = el("div", { class: "kb-row" });
        buttons.forEach((button, index) => {
          const key = `kb-${rowIndex}-${index}`;
          let node;
          if (button.url && safeUrl(button.url)) {
            node = el("a", { class: "kb-button", href: safeUrl(button.url), target: "_blank",
              rel: "noopener noreferrer", dir: "auto", "data-key": key },
            button.text, el("span", { class: "kb-link", "aria-hidden": "true", text: " ↗" }));
          } else if (button.callback_data !== undefined) {
            node = el("button", { type: "button", class: "kb-button", dir: "auto", "data-key": key,
              text: button.text });
            node.addEventListener("click", () => this.press(view, button, key));
          } else {
            node = el("button", { type: "button", class: "kb-button", dir: "auto", disabled: true,
              title: "This kind of button does nothing in the sandbox", text: button.text });
          }
          row.append(node);
        });
        keyboard.append(row);
      });
      return keyboard;
    }

    buttonFor(messageId, key) {
      const node = this.elements.get(messageId);
      return node ? node.querySelector(`[data-key="${key}"]`) : null;
    }

    async press(view, button, key) {
      this.startAnswer();
      const node = this.buttonFor(view.message_id, key);
      if (node) node.setAttribute("aria-busy", "true");
      try {
        const result = await api("POST", `/users/${this.userId}/press`, {
          chat_id: this.chatId, message_id: view.message_id, callback_data: button.callback_data,
        });
        const id = result.callback_query.id;
        store.presses.set(id, { panel: this, messageId: view.message_id, key });
        if (store.answers.has(id)) answered(store.answers.get(id));
        setTimeout(() => this.pressDone(id), PRESS_FAILSAFE_MS);
      } catch (error) {
        if (node) node.removeAttribute("aria-busy");
        toast(error.message, { alert: true });
      }
    }

    pressDone(queryId) {
      const press = store.presses.get(queryId);
      if (!press) return;
      store.presses.delete(queryId);
      const node = this.buttonFor(press.messageId, press.key);
      if (node) node.removeAttribute("aria-busy");
    }

    jumpTo(messageId) {
      const node = this.elements.get(messageId);
      if (!node) return;
      node.scrollIntoView({ block: "center", behavior: "smooth" });
      node.classList.add("flash");
      setTimeout(() => node.classList.remove("flash"), 1200);
    }

    setReply(view) {
      this.replyTo = view;
      if (!this.replyBar) return;
      this.replyBar.hidden = !view;
      if (view) {
        this.replyBar.querySelector('[data-role="reply-name"]').textContent = fullName(view.from);
        this.replyBar.querySelector('[data-role="reply-snippet"]').textContent = snippetOf(view);
      }
    }

    setTyping(on) {
      clearTimeout(this.typingTimer);
      if (!this.status) return;
      this.status.textContent = on ? "typing…" : this.statusText || "";
      this.status.classList.toggle("typing", on);
      if (on) this.typingTimer = setTimeout(() => this.setTyping(false), TYPING_SECONDS * 1000);
    }

    setStatusText(text) {
      this.statusText = text;
      if (this.status && !this.status.classList.contains("typing")) this.status.textContent = text;
    }

    fitInput() {
      this.input.style.height = "auto";
      this.input.style.height = `${Math.min(this.input.scrollHeight, 160)}px`;
    }

    async send(body) {
      if (this.userId === null) return null;
      try {
        return await api("POST", `/users/${this.userId}/messages`, { chat_id: this.chatId, ...body });
      } catch (error) {
        toast(error.message, { alert: true });
        return null;
      }
    }

    async sendText(text) {
      const typed = text === undefined;
      const value = typed ? this.input.value.trim() : text;
      if (!value) return;
      const body = { text: value };
      if (this.replyTo) body.reply_to_message_id = this.replyTo.message_id;
      if (typed) {
        this.input.value = "";
        this.fitInput();
      }
      this.setReply(null);
      const sent = await this.send(body);
      if (!sent && typed) this.input.value = value;
      this.input.focus();
    }

    sendMedia(kind) {
      const bodies = {
        sticker: () => ({ sticker: { emoji: STICKERS[this.stickers++ % STICKERS.length] } }),
        photo: () => ({ photo: true }),
        voice: () => ({ voice: { duration: 4 } }),
        location: () => ({ location: SAMPLE_LOCATION }),
      };
      return this.send(bodies[kind]());
    }

    async refreshKeyboard() {
      if (this.chatId === null) return;
      const chatId = this.chatId;
      let chat;
      try {
        chat = await api("GET", `/chats/${chatId}`);
      } catch (_) {
        return;
      }
      if (chatId !== this.chatId) return;
      const markup = chat.reply_keyboard;
      this.keyboard.replaceChildren();
      this.keyboard.hidden = !(markup && markup.keyboard && markup.keyboard.length);
      if (this.keyboard.hidden) return;
      for (const buttons of markup.keyboard) {
        const row = el("div", { class: "kb-row" });
        for (const button of buttons) {
          const label = typeof button === "string" ? button : button.text;
          const node = el("button", { type: "button", class: "kb-button", dir: "auto", text: label });
          node.addEventListener("click", () => {
            if (button.request_location) this.send({ location: SAMPLE_LOCATION });
            else if (button.request_contact) {
              const me = store.users.get(this.userId) || {};
              this.send({ contact: { phone_number: "+46700000000", first_name: me.first_name || "Resident" } });
            } else this.sendText(label);
          });
          row.append(node);
        }
        this.keyboard.append(row);
      }
    }

    // -- the command menu ("/") ------------------------------------------------------------

    async toggleMenu() {
      if (!this.menu.hidden) {
        this.closeMenu();
        return;
      }
      let data;
      try {
        data = await api("GET", `/users/${this.userId}/commands?chat_id=${this.chatId}`);
      } catch (error) {
        toast(error.message, { alert: true });
        return;
      }
      this.menu.replaceChildren();
      if (!data.commands.length) {
        this.menu.append(el("p", { class: "menu-empty", text: "No commands here yet." }));
      }
      for (const command of data.commands) {
        const item = el("button", { type: "button", role: "menuitem", class: "menu-item", tabindex: "-1" },
          el("span", { class: "menu-command", dir: "ltr", text: `/${command.command}` }),
          el("span", { class: "menu-description", dir: "auto", text: command.description }));
        item.addEventListener("click", () => {
          this.closeMenu();
          this.sendText(`/${command.command}`);
        });
        this.menu.append(item);
      }
      this.menu.hidden = false;
      this.menuButton.setAttribute("aria-expanded", "true");
      const first = this.menu.querySelector(".menu-item");
      if (first) first.focus();
    }

    closeMenu() {
      this.menu.hidden = true;
      this.menuButton.setAttribute("aria-expanded", "false");
    }

    menuKeys(event) {
      const items = [...this.menu.querySelectorAll(".menu-item")];
      const at = items.indexOf(document.activeElement);
      let next = null;
      if (event.key === "ArrowDown") next = items[(at + 1) % items.length];
      else if (event.key === "ArrowUp") next = items[(at - 1 + items.length) % items.length];
      else if (event.key === "Home") next = items[0];
      else if (event.key === "End") next = items[items.length - 1];
      else if (event.key === "Tab") this.closeMenu();
      if (next) {
        event.preventDefault();
        next.focus();
      }
    }
  }

  // -- events from the server ----------------------------------------------------------------

  function answered(query) {
    store.answers.set(query.id, query);
    const press = store.presses.get(query.id);
    if (!press) return;
    press.panel.pressDone(query.id);
    if (query.text) toast(query.text, { alert: Boolean(query.show_alert) });
  }

  function handle(event) {
    switch (event.type) {
      case "message_new":
      case "message_edited":
      case "message_deleted": {
        const view = putMessage(event.message);
        for (const panel of store.panels) {
          if (panel.shows(view.chat_id)) {
            panel.upsert(view);
            if (view.from_bot) panel.refreshKeyboard();
            if (event.type === "message_new") noteUnread(panel);
          }
        }
        break;
      }
      case "callback_answered":
        answered(event.query);
        break;
      case "chat_action":
        for (const panel of store.panels) {
          if (panel.shows(event.chat_id) && event.action === "typing") panel.setTyping(true);
        }
        break;
      case "user_added":
        store.users.set(event.user.id, event.user);
        fillResidents();
        break;
      default:
        break;
    }
  }

  const events = { polling: null };

  function setConnected(ok) {
    const line = document.getElementById("connection");
    line.textContent = ok ? "" : "Lost touch with the sandbox; trying again…";
    line.hidden = ok;
    document.body.dataset.connection = ok ? "ok" : "away";
  }

  // Any request that could not reach the sandbox: show it, and make the event loop (which may
  // be waiting on a long poll) try again at once; it turns the dot green when it gets through.
  function lostTouch() {
    setConnected(false);
    if (events.polling) events.polling.abort();
  }

  async function isNewSandbox() {
    const response = await reach("/sandbox/info");
    const info = await response.json();
    return info.instance !== store.info.instance;
  }

  async function followEvents() {
    let failures = 0;
    for (;;) {
      try {
        events.polling = new AbortController();
        // Back from a failure: ask without waiting, so the page turns green at once.
        const wait = failures ? 0 : POLL_SECONDS;
        const data = await api("GET", `/events?after=${store.lastSeq}&wait=${wait}`, undefined,
          events.polling.signal);
        if (data.last_seq < store.lastSeq || (failures && await isNewSandbox())) {
          // A new sandbox on the same port: its world starts afresh, and so does the page.
          window.location.reload();
          return;
        }
        for (const event of data.events) {
          if (event.seq <= store.lastSeq) continue;
          store.lastSeq = event.seq;
          try {
            handle(event);
          } catch (error) {
            console.error("could not show event", event, error);
          }
        }
        if (failures) document.body.dataset.failedTries = "0";
        failures = 0;
        setConnected(true);
      } catch (_) {
        failures += 1;
        setConnected(false);
        // How many tries in a row failed: shown to tests (and to the curious in devtools).
        document.body.dataset.failedTries = String(failures);
        await pause(retryDelay(failures));
      }
    }
  }

  // -- the resident pane ---------------------------------------------------------------------

  const RESIDENT_KEY = "nara-sandbox-resident";
  let residentPanel;
  let staffPanel;

  function residents() {
    const staff = staffIds();
    return [...store.users.values()].filter((user) => !user.is_bot && !staff.has(user.id));
  }

  function fillResidents(selected) {
    const select = document.getElementById("resident-select");
    const keep = selected !== undefined ? selected : Number(select.value) || null;
    select.replaceChildren();
    const people = residents();
    if (!people.length) {
      select.append(el("option", { value: "", text: "No residents yet" }));
      select.disabled = true;
      fillOfferResidents();
      return;
    }
    select.disabled = false;
    for (const user of people) {
      select.append(el("option", { value: user.id,
        text: `${fullName(user)} · ${languageLabel(user.language_code)}` }));
    }
    if (keep && people.some((user) => user.id === keep)) select.value = String(keep);
    fillOfferResidents();
  }

  function showResident(userId) {
    const user = store.users.get(userId) || null;
    const label = document.querySelector('label[for="resident-text"]');
    if (user) {
      sessionStorage.setItem(RESIDENT_KEY, String(userId));
      // The offer form offers to whoever the resident pane shows, unless staff pick another.
      document.getElementById("offer-resident").value = String(userId);
      label.textContent = `Message to Nära as ${fullName(user)}`;
      residentPanel.setStatusText(`bot · ${fullName(user)}’s Telegram is in ${languageLabel(user.language_code)}`);
    } else {
      residentPanel.setStatusText("bot");
    }
    return residentPanel.show(user ? user.id : null, user ? user.id : null);
  }

  function openNewResident(open) {
    const form = document.getElementById("new-resident");
    const toggle = document.getElementById("new-resident-toggle");
    form.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) document.getElementById("new-name").focus();
  }

  function setUpResidentPane() {
    const languages = document.getElementById("new-language");
    for (const language of store.info.languages) {
      const label = language.english === language.name
        ? `${language.name} (${language.code})`
        : `${language.name} — ${language.english} (${language.code})`;
      languages.append(el("option", { value: language.code, text: label }));
    }
    document.getElementById("resident-select").addEventListener("change", (event) => {
      showResident(Number(event.target.value));
    });
    document.getElementById("new-resident-toggle").addEventListener("click", () => {
      openNewResident(document.getElementById("new-resident").hidden);
    });
    document.getElementById("new-resident-cancel").addEventListener("click", () => {
      openNewResident(false);
      document.getElementById("new-resident-toggle").focus();
    });
    document.getElementById("new-resident").addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = document.getElementById("new-name");
      const firstName = name.value.trim();
      if (!firstName) {
        name.focus();
        return;
      }
      let user;
      try {
        user = await api("POST", "/users", { first_name: firstName, language_code: languages.value });
      } catch (error) {
        toast(error.message, { alert: true });
        return;
      }
      store.users.set(user.id, user);
      name.value = "";
      openNewResident(false);
      fillResidents(user.id);
      await showResident(user.id);
      document.getElementById("resident-text").focus();
    });
  }

  // -- the staff pane ------------------------------------------------------------------------

  const staffView = { personId: null, tab: "group" };

  function showStaff() {
    const info = store.info;
    const person = info.staff.find((item) => item.id === staffView.personId) || info.staff[0];
    staffView.personId = person.id;
    showOfferAs(person);
    const group = staffView.tab === "group";
    const chat = staffPanel.root;
    chat.setAttribute("aria-labelledby", group ? "tab-group" : "tab-private");
    chat.querySelector('[data-role="name"]').textContent = group ? info.staff_chat.title : info.bot.name;
    chat.querySelector(".avatar").textContent = group ? "S" : "N";
    chat.querySelector(".avatar").classList.toggle("group", group);
    staffPanel.setStatusText(group ? `${info.staff.length} staff and Nära · you are ${person.name}` : "bot");
    const label = document.querySelector('label[for="staff-text"]');
    label.textContent = group ? `Message to the staff group as ${person.name}` : `Message to Nära as ${person.name}`;
    return staffPanel.show(person.id, group ? info.staff_chat.id : person.id, { isGroup: group });
  }

  function selectTab(tab, focus) {
    staffView.tab = tab;
    for (const button of document.querySelectorAll('#staff-pane [role="tab"]')) {
      const selected = button.dataset.tab === tab;
      button.setAttribute("aria-selected", String(selected));
      button.tabIndex = selected ? 0 : -1;
      if (selected && focus) button.focus();
    }
    return showStaff();
  }

  function setUpStaffPane() {
    const info = store.info;
    const select = document.getElementById("staff-select");
    const roles = { caseworker: "caseworker", supervisor: "supervisor", admin: "admin" };
    for (const person of info.staff) {
      select.append(el("option", { value: person.id,
        text: `${person.name} (${person.title}) · ${roles[person.role] || person.role}` }));
    }
    select.addEventListener("change", () => {
      staffView.personId = Number(select.value);
      showStaff();
    });
    document.getElementById("tab-group").textContent = info.staff_chat.title;
    arrowKeys([...document.querySelectorAll('#staff-pane [role="tab"]')],
      (tab, focus) => selectTab(tab.dataset.tab, focus));
  }

  // Tabs move with the arrow keys, Home and End, as WAI-ARIA's tabs pattern has it.
  function arrowKeys(tabs, select) {
    for (const tab of tabs) {
      tab.addEventListener("click", () => select(tab, false));
      tab.addEventListener("keydown", (event) => {
        const at = tabs.indexOf(tab);
        let next = null;
        if (event.key === "ArrowRight") next = tabs[(at + 1) % tabs.length];
        else if (event.key === "ArrowLeft") next = tabs[(at - 1 + tabs.length) % tabs.length];
        else if (event.key === "Home") next = tabs[0];
        else if (event.key === "End") next = tabs[tabs.length - 1];
        if (next) {
          event.preventDefault();
          select(next, true);
        }
      });
    }
  }

  // -- the staff pane: offering check-ins -------------------------------------------------------

  function fillOfferResidents() {
    const select = document.getElementById("offer-resident");
    const keep = Number(select.value) || residentPanel.userId;
    select.replaceChildren();
    for (const user of residents()) {
      select.append(el("option", { value: user.id, text: fullName(user) }));
    }
    if (!select.options.length) select.append(el("option", { value: "", text: "No residents yet" }));
    if (keep && residents().some((user) => user.id === keep)) select.value = String(keep);
  }

  function showOfferAs(person) {
    document.querySelector(".offer-form [type=submit]").textContent = `Offer as ${person.name}`;
  }

  function setUpOfferForm() {
    const plans = document.getElementById("offer-plan");
    for (const plan of store.info.checkin_plans) {
      plans.append(el("option", { value: plan.name, text: plan.title }));
    }
    const form = document.querySelector(".offer-form");
    const outcome = form.querySelector(".offer-outcome");
    const submit = form.querySelector("[type=submit]");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const resident = Number(document.getElementById("offer-resident").value);
      if (!resident) {
        outcome.textContent = "Create a resident first (in the resident pane).";
        return;
      }
      submit.disabled = true;
      form.setAttribute("aria-busy", "true");
      outcome.dataset.outcome = "";
      outcome.textContent = "Offering…";
      try {
        const result = await request("POST", "/sandbox/checkins", {
          staff_user_id: staffView.personId, resident_user_id: resident, plan: plans.value,
        });
        outcome.dataset.outcome = result.outcome;
        outcome.textContent = result.message;
        // The offer comes in the resident's chat: show that chat in the resident pane.
        if (result.outcome === "offered" && residentPanel.userId !== resident) {
          fillResidents(resident);
          showResident(resident);
        }
      } catch (error) {
        outcome.dataset.outcome = "error";
        outcome.textContent = error.message;
      } finally {
        submit.disabled = false;
        form.removeAttribute("aria-busy");
        if (document.activeElement === document.body) submit.focus();
      }
    });
  }

  // -- the bot's clock -----------------------------------------------------------------------------

  // How far the bot's clock is from this browser's, so the line keeps time between moves.
  const botClock = { skewMs: 0, zone: "UTC", aheadMinutes: 0 };

  // "Mon 15 Mar 2027, 10:00" in the municipality's zone, whatever this browser's zone is.
  function timeParts(moment, zone) {
    const parts = {};
    const format = new Intl.DateTimeFormat("en-GB", { timeZone: zone, weekday: "short",
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23" });
    for (const part of format.formatToParts(moment)) parts[part.type] = part.value;
    return parts;
  }

  function writtenTime(moment, zone) {
    const at = timeParts(moment, zone);
    return `${at.weekday} ${at.day} ${at.month} ${at.year}, ${at.hour}:${at.minute}`;
  }

  function writtenAhead(minutes) {
    if (minutes <= 0) return "real time";
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const rest = minutes % 60;
    const parts = [];
    if (days) parts.push(`${days} ${days === 1 ? "day" : "days"}`);
    if (hours) parts.push(`${hours} ${hours === 1 ? "hour" : "hours"}`);
    if (rest) parts.push(`${rest} min`);
    return `${parts.join(" ")} ahead`;
  }

  function takeClock(clock) {
    botClock.skewMs = Date.parse(clock.now) - Date.now();
    botClock.zone = clock.timezone;
    botClock.aheadMinutes = clock.ahead_minutes;
    showClock();
  }

  function showClock() {
    const now = new Date(Date.now() + botClock.skewMs);
    const at = timeParts(now, botClock.zone);
    const line = document.getElementById("clock-now");
    // On a phone the year is left out, to keep the clock on one line.
    line.replaceChildren(`${at.weekday} ${at.day} ${at.month}`,
      el("span", { class: "wide-only", text: ` ${at.year}` }), `, ${at.hour}:${at.minute}`);
    line.dateTime = now.toISOString();
    const bar = document.querySelector(".clock-bar");
    bar.querySelector('[data-role="zone"]').textContent = botClock.zone;
    bar.querySelector('[data-role="ahead"]').textContent = `· ${writtenAhead(botClock.aheadMinutes)}`;
  }

  async function moveClock(button) {
    const buttons = [...document.querySelectorAll(".clock-buttons button")];
    const group = document.querySelector(".clock-buttons");
    const status = document.getElementById("clock-status");
    for (const each of buttons) each.disabled = true;
    group.setAttribute("aria-busy", "true");
    document.querySelector('.clock-bar [data-role="ahead"]').textContent = "· moving…";
    try {
      const clock = await request("POST", "/sandbox/clock", { minutes: Number(button.dataset.minutes) });
      takeClock(clock);
      status.textContent = `Moved ${button.textContent.replace("+", "")} forward. `
        + `Nära’s time is now ${writtenTime(new Date(clock.now), clock.timezone)}.`;
      const line = document.getElementById("clock-now");
      line.classList.remove("moved");
      void line.offsetWidth; // restarts the highlight
      line.classList.add("moved");
    } catch (error) {
      showClock();
      toast(error.message, { alert: true });
    } finally {
      for (const each of buttons) each.disabled = false;
      group.removeAttribute("aria-busy");
      // A disabled button drops the focus; give it back, so the keyboard can press again.
      if (document.activeElement === document.body) button.focus();
    }
  }

  function setUpClock() {
    takeClock(store.info.clock);
    const quiet = store.info.clock.quiet_hours.replace("-", "–");
    for (const slot of document.querySelectorAll('[data-role="quiet-hours"]')) slot.textContent = quiet;
    for (const button of document.querySelectorAll(".clock-buttons button")) {
      button.addEventListener("click", () => moveClock(button));
    }
    setInterval(showClock, 15000);
  }

  // -- on a phone: one pane at a time, the other behind a tab ----------------------------------

  function paneOf(view) {
    return view === "staff" ? staffPanel : residentPanel;
  }

  function showView(view, focus) {
    const before = document.body.dataset.view || "resident";
    const leaving = paneOf(before);
    // A hidden chat forgets where it was scrolled to; remember it for when it comes back.
    if (view !== before) leaving.savedScroll = leaving.log.scrollTop;
    document.body.dataset.view = view;
    for (const tab of document.querySelectorAll(".pane-tabs [role=tab]")) {
      const selected = tab.dataset.view === view;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      if (selected) tab.querySelector(".unread").hidden = true;
      if (selected && focus) tab.focus();
    }
    const shown = paneOf(view);
    if (shown.savedScroll !== undefined) shown.log.scrollTop = shown.savedScroll;
  }

  function noteUnread(panel) {
    const view = panel === staffPanel ? "staff" : "resident";
    if ((document.body.dataset.view || "resident") === view) return;
    document.querySelector(`.pane-tabs [data-view="${view}"] .unread`).hidden = false;
  }

  // A link to our own bot (https://t.me/<bot>?start=CODE) opens the bot in Telegram, as
  // /start CODE from whoever taps it: here, from the resident picked in the resident pane.
  function botStartOf(href) {
    const username = store.info && store.info.bot.username;
    let url;
    try {
      url = new URL(href);
    } catch (_) {
      return null;
    }
    if (!username || !["t.me", "telegram.me"].includes(url.hostname)) return null;
    if (url.pathname.slice(1).toLowerCase() !== username.toLowerCase()) return null;
    const payload = url.searchParams.get("start");
    if (payload === null || payload === "") return "/start";
    return /^[A-Za-z0-9_-]{1,64}$/.test(payload) ? `/start ${payload}` : null;
  }

  function openBotLink(event) {
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link) return;
    const command = botStartOf(link.href);
    if (command === null) return;
    event.preventDefault();
    if (residentPanel.userId === null) {
      toast("Pick or create a resident first: the link opens their chat with the bot.",
        { alert: true });
      return;
    }
    showView("resident");
    residentPanel.sendText(command);
  }

  function setUpViews() {
    arrowKeys([...document.querySelectorAll(".pane-tabs [role=tab]")],
      (tab, focus) => showView(tab.dataset.view, focus));
    showView("resident", false);
  }

  // -- start -----------------------------------------------------------------------------------

  async function start() {
    for (const slot of document.querySelectorAll("[data-icon]")) slot.replaceWith(icon(slot.dataset.icon));
    residentPanel = new ChatPanel(document.querySelector('[data-chat="resident"]'), {
      replies: false,
      emptyHint: (panel) => (panel.userId === null
        ? "Create a resident to begin: a first name and the language their Telegram uses."
        : "Send /start, or just write a question, as a resident would."),
    });
    staffPanel = new ChatPanel(document.getElementById("staff-chat"), {
      replies: true,
      emptyHint: (panel) => (panel.userId === null ? "" : panel.isGroup
        ? "Nothing in the staff group yet."
        : "Staff can write to Nära privately too."),
    });
    store.panels = [residentPanel, staffPanel];
    document.addEventListener("click", openBotLink);
    residentPanel.show(null, null);
    staffPanel.show(null, null);

    let index;
    for (let failures = 1; ; failures += 1) {
      try {
        [store.info, index] = await Promise.all([
          reach("/sandbox/info").then((response) => response.json()),
          api("GET", ""),
        ]);
        break;
      } catch (_) {
        setConnected(false);
        await pause(retryDelay(failures));
      }
    }
    setConnected(true);
    store.lastSeq = index.last_event_seq;
    for (const user of index.users) store.users.set(user.id, user);
    if (!store.info.temporary_database) {
      document.getElementById("about-database").textContent =
        "It uses the database in NARA_DATABASE_URL, which stays after the sandbox stops.";
    }

    setUpResidentPane();
    setUpStaffPane();
    setUpOfferForm();
    setUpClock();
    setUpViews();
    const remembered = Number(sessionStorage.getItem(RESIDENT_KEY));
    const people = residents();
    const first = people.some((user) => user.id === remembered) ? remembered
      : (people.length ? people[people.length - 1].id : null);
    fillResidents(first);
    if (first === null) openNewResident(true);
    followEvents();
    await Promise.all([showResident(first), showStaff()]);
    document.body.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", start);
})();

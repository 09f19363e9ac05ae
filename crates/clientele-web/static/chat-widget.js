/* Clientele website chat: <script src="https://crm.example/chat/widget.js" data-channel="KEY" async></script>
   A button opens a small panel; the visitor's messages go to the CRM inbox and the managers'
   answers come back (polled every few seconds while the panel is open). No cookies: the
   visitor is a random id kept in this site's localStorage. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.getAttribute('data-channel')) return;
  var key = script.getAttribute('data-channel');
  var base = new URL(script.src, location.href).origin;
  var api = base + '/api/v1/hooks/chat/' + encodeURIComponent(key);
  var vid = null;
  try { vid = localStorage.getItem('clientele-visitor'); } catch (e) { vid = null; }
  if (!vid) {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    vid = Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
    try { localStorage.setItem('clientele-visitor', vid); } catch (e) { /* private mode: one session */ }
  }
  function el(tag, css, text) {
    var e = document.createElement(tag);
    if (css) e.style.cssText = css;
    if (text) e.textContent = text;
    return e;
  }
  var font = 'font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;';
  var root = el('div', 'position:fixed;right:20px;bottom:20px;z-index:2147483000;' + font);
  root.setAttribute('data-clientele-chat', '');
  var button = el('button', 'border:0;border-radius:999px;padding:12px 18px;background:#2563eb;color:#fff;cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.2);' + font, 'Chat');
  button.type = 'button';
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('data-clientele-chat-open', '');
  var panel = el('div', 'display:none;width:320px;max-width:calc(100vw - 40px);height:420px;max-height:70vh;background:#fff;border:1px solid #e5e7eb;border-radius:12px;box-shadow:0 12px 40px rgba(0,0,0,.18);flex-direction:column;overflow:hidden;margin-bottom:10px;');
  panel.setAttribute('role', 'dialog');
  var head = el('div', 'padding:12px 14px;background:#2563eb;color:#fff;font-weight:600;', 'Chat');
  var list = el('div', 'flex:1;overflow-y:auto;padding:12px;background:#f8fafc;');
  list.setAttribute('aria-live', 'polite');
  var form = el('form', 'display:flex;gap:6px;padding:10px;border-top:1px solid #e5e7eb;');
  var input = el('input', 'flex:1;padding:8px 10px;border:1px solid #cbd5e1;border-radius:8px;' + font);
  input.name = 'text';
  input.autocomplete = 'off';
  input.setAttribute('aria-label', 'Message');
  var send = el('button', 'border:0;border-radius:8px;padding:8px 12px;background:#2563eb;color:#fff;cursor:pointer;', '➤');
  send.type = 'submit';
  send.setAttribute('aria-label', 'Send');
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(head);
  panel.appendChild(list);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(button);
  var greeting = '';
  var timer = null;
  function bubble(text, mine) {
    var row = el('div', 'display:flex;margin:6px 0;justify-content:' + (mine ? 'flex-end' : 'flex-start') + ';');
    row.appendChild(el('div', 'max-width:80%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word;' + (mine ? 'background:#2563eb;color:#fff;' : 'background:#fff;border:1px solid #e5e7eb;color:#0f172a;'), text));
    list.appendChild(row);
  }
  function load() {
    fetch(api + '/messages?visitor=' + vid).then(function (r) { return r.json(); }).then(function (j) {
      list.textContent = '';
      if (greeting) bubble(greeting, false);
      (j.data || []).forEach(function (m) { bubble(m.text, m.from === 'visitor'); });
      list.scrollTop = list.scrollHeight;
    }).catch(function () { /* offline: try again on the next tick */ });
  }
  fetch(api).then(function (r) { return r.json(); }).then(function (j) {
    head.textContent = j.title || 'Chat';
    button.textContent = j.title || 'Chat';
    greeting = j.greeting || '';
  }).catch(function () {});
  button.addEventListener('click', function () {
    var open = panel.style.display !== 'flex';
    panel.style.display = open ? 'flex' : 'none';
    button.setAttribute('aria-expanded', String(open));
    if (open) { load(); input.focus(); timer = setInterval(load, 3000); } else { clearInterval(timer); }
  });
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = '';
    bubble(text, true);
    var body = new URLSearchParams({ visitor: vid, text: text });
    fetch(api + '/messages', { method: 'POST', body: body }).then(load).catch(function () {});
  });
  (document.body || document.documentElement).appendChild(root);
})();

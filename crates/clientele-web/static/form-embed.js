/* Clientele lead form: <div data-clientele-form="KEY"></div>
   <script src="https://crm.example/f/KEY.js" async></script>
   Draws the form, sends it with the page's UTM parameters, referrer and address, and shows
   the thank-you text or what to correct. A hidden field catches bots. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script) return;
  var src = new URL(script.src, location.href);
  var key = decodeURIComponent(src.pathname.split('/').pop().replace(/\.js$/, ''));
  var api = src.origin + '/api/v1/hooks/forms/' + encodeURIComponent(key);
  var hosts = document.querySelectorAll('[data-clientele-form="' + key + '"]');
  if (!hosts.length) return;
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }
  fetch(api).then(function (r) { return r.json(); }).then(function (def) {
    Array.prototype.forEach.call(hosts, function (host) { draw(host, def); });
  }).catch(function () {});
  function draw(host, def) {
    var form = el('form', { 'class': 'clientele-form', novalidate: '' });
    (def.fields || []).forEach(function (f) {
      var id = 'cf-' + key.slice(0, 8) + '-' + f.name;
      var row = el('p');
      row.appendChild(el('label', { 'for': id }, f.label + (f.required ? ' *' : '')));
      row.appendChild(el('br'));
      var input = f.kind === 'textarea' ? el('textarea', { id: id, name: f.name, rows: '4' })
        : el('input', { id: id, name: f.name, type: f.kind === 'email' ? 'email' : f.kind === 'phone' ? 'tel' : 'text' });
      if (f.required) input.setAttribute('required', '');
      row.appendChild(input);
      row.appendChild(el('span', { 'class': 'clientele-error', 'data-for': f.name, role: 'alert' }));
      form.appendChild(row);
    });
    var trap = el('input', { name: '_hp', tabindex: '-1', autocomplete: 'off', 'aria-hidden': 'true' });
    trap.style.cssText = 'position:absolute;left:-10000px;width:1px;height:1px;opacity:0;';
    form.appendChild(trap);
    if (def.consent_text) {
      var c = el('p');
      var box = el('input', { type: 'checkbox', name: 'consent', value: 'on', id: 'cf-' + key.slice(0, 8) + '-consent' });
      c.appendChild(box);
      c.appendChild(el('label', { 'for': box.id }, ' ' + def.consent_text));
      c.appendChild(el('span', { 'class': 'clientele-error', 'data-for': 'consent', role: 'alert' }));
      form.appendChild(c);
    }
    var submit = el('button', { type: 'submit' }, 'Send');
    form.appendChild(submit);
    var status = el('p', { 'class': 'clientele-status', role: 'status' });
    form.appendChild(status);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var data = new URLSearchParams(new FormData(form));
      var q = new URLSearchParams(location.search);
      ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'].forEach(function (k) {
        if (q.get(k)) data.set(k, q.get(k));
      });
      if (document.referrer) data.set('referrer', document.referrer);
      data.set('landing_page', location.href);
      Array.prototype.forEach.call(form.querySelectorAll('.clientele-error'), function (e) { e.textContent = ''; });
      submit.disabled = true;
      fetch(api, { method: 'POST', body: data }).then(function (r) {
        return r.json().then(function (j) { return { ok: r.ok, body: j }; });
      }).then(function (res) {
        submit.disabled = false;
        if (res.ok) {
          form.textContent = '';
          form.appendChild(el('p', { 'class': 'clientele-thanks' }, res.body.thank_you));
          return;
        }
        (res.body.errors || []).forEach(function (e) {
          var t = form.querySelector('[data-for="' + e.field + '"]');
          if (t) t.textContent = ' ' + e.message;
        });
        status.textContent = res.body.detail || res.body.title || '';
      }).catch(function () { submit.disabled = false; });
    });
    host.appendChild(form);
  }
})();

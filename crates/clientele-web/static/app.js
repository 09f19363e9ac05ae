// Clientele — the UI's own small script. Everything works without it; it adds the mobile
// navigation drawer, confirmations, copy buttons and toast dismissal. No inline scripts
// anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  function closest(el, sel) { return el && el.closest ? el.closest(sel) : null; }

  document.addEventListener("click", function (ev) {
    var toggle = closest(ev.target, "[data-toggle-nav]");
    if (toggle) {
      var nav = document.getElementById("sidebar");
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    var copy = closest(ev.target, "[data-copy]");
    if (copy && navigator.clipboard) {
      navigator.clipboard.writeText(copy.getAttribute("data-copy"));
      copy.textContent = "✓";
      return;
    }
    // A click outside an open account menu closes it.
    document.querySelectorAll("details.user-menu[open]").forEach(function (d) {
      if (!d.contains(ev.target)) d.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") {
      document.querySelectorAll("details.user-menu[open]").forEach(function (d) { d.removeAttribute("open"); });
      var nav = document.getElementById("sidebar");
      if (nav) nav.classList.remove("open");
    }
  });

  // Forms marked data-confirm ask first (works with and without htmx).
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  }, true);

  // Toasts fade out after a few seconds.
  function arm(root) {
    (root || document).querySelectorAll(".toast:not([data-armed])").forEach(function (t) {
      t.setAttribute("data-armed", "1");
      setTimeout(function () { t.classList.add("leaving"); }, 4500);
      setTimeout(function () { t.remove(); }, 5000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { arm(); });
  document.addEventListener("htmx:afterSettle", function () { arm(); });
  // ---- Client base: rows that can be added and removed, select-all, auto-submitting
  // selects, the merge screen's "keep" switch, the top-bar search dropdown. ----

  function clearRow(row) {
    row.querySelectorAll("input").forEach(function (i) {
      if (i.type === "checkbox" || i.type === "radio") i.checked = false; else i.value = "";
      i.removeAttribute("aria-invalid");
      i.removeAttribute("data-testid");
    });
    row.querySelectorAll("select").forEach(function (s) { s.selectedIndex = 0; });
    row.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
  }

  document.addEventListener("click", function (ev) {
    var add = closest(ev.target, "[data-add-row]");
    if (add) {
      var box = document.querySelector(add.getAttribute("data-add-row"));
      var rows = box ? box.querySelectorAll("[data-row]") : [];
      if (rows.length) {
        var copy = rows[rows.length - 1].cloneNode(true);
        clearRow(copy);
        copy.querySelectorAll("[data-pick-sku]").forEach(function (k) { k.hidden = true; });
        copy.querySelectorAll(".pick-list").forEach(function (l, i) {
          l.innerHTML = "";
          l.id = "pick-" + Date.now() + "-" + i;
          var inp = l.parentNode.querySelector("[data-pick-input]");
          if (inp) { inp.setAttribute("aria-controls", l.id); inp.setAttribute("aria-expanded", "false"); }
        });
        box.appendChild(copy);
        if (window.htmx) window.htmx.process(copy);
        var first = copy.querySelector("input, select");
        if (first) first.focus();
      }
      return;
    }
    var rm = closest(ev.target, "[data-remove-row]");
    if (rm) {
      var row = closest(rm, "[data-row]");
      var parent = row && row.parentNode;
      if (parent && parent.querySelectorAll("[data-row]").length > 1) row.remove(); else if (row) clearRow(row);
      return;
    }
    // A click outside the search box closes its dropdown.
    var search = document.querySelector("[data-search]");
    if (search && !search.contains(ev.target)) closeSearch(false);
  });

  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.matches && t.matches("[data-autosubmit]") && t.form) {
      if (t.form.requestSubmit) t.form.requestSubmit(); else t.form.submit();
      return;
    }
    if (t.matches && t.matches("[data-select-all]")) {
      var scope = closest(t, "form") || document;
      scope.querySelectorAll("input[name=ids]").forEach(function (c) { c.checked = t.checked; });
      return;
    }
    if (t.matches && t.matches("[data-survivor]")) {
      var side = t.value;
      document.querySelectorAll("input[data-side='" + side + "']").forEach(function (r) { r.checked = true; });
    }
  });

  function closeSearch(focusInput) {
    var box = document.getElementById("search-results");
    if (box) box.innerHTML = "";
    if (focusInput) {
      var q = document.getElementById("global-q");
      if (q) q.focus();
    }
  }

  function hits() { return Array.prototype.slice.call(document.querySelectorAll("#search-results .search-hit, #search-results .search-all")); }

  document.addEventListener("keydown", function (ev) {
    var inSearch = closest(ev.target, "[data-search]");
    if (!inSearch) return;
    var list = hits();
    var i = list.indexOf(document.activeElement);
    if (ev.key === "ArrowDown" && list.length) {
      ev.preventDefault();
      list[Math.min(i + 1, list.length - 1)].focus();
    } else if (ev.key === "ArrowUp" && list.length) {
      ev.preventDefault();
      if (i <= 0) document.getElementById("global-q").focus(); else list[i - 1].focus();
    } else if (ev.key === "Escape") {
      closeSearch(true);
    }
  });

  // A file input with data-max-bytes refuses a file that is too large before uploading it.
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (!t.matches || !t.matches("input[type=file][data-max-bytes]")) return;
    var max = parseInt(t.getAttribute("data-max-bytes"), 10);
    var f = t.files && t.files[0];
    var msg = f && max && f.size > max ? t.getAttribute("data-too-large") : "";
    t.setCustomValidity(msg || "");
    if (msg) t.reportValidity();
  });

  // An inline edit form takes the focus when it appears.
  document.addEventListener("htmx:afterSettle", function () {
    var f = document.querySelector(".inline-form [data-autofocus]");
    if (f && (document.activeElement === document.body || !document.activeElement)) f.focus();
  });
  // ---- Deals board: drag a card to another stage (SortableJS). The move is saved at once;
  // when the server refuses it the card slides back where it was and a toast says why. ----
  function toast(kind, msg) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var t = document.createElement("div");
    t.className = "toast toast-" + kind;
    t.setAttribute("role", kind === "error" ? "alert" : "status");
    t.textContent = msg;
    box.appendChild(t);
    arm(box);
  }

  function putBack(item, from, index) {
    var first = item.getBoundingClientRect();
    var cards = Array.prototype.filter.call(from.children, function (el) { return el !== item; });
    from.insertBefore(item, cards[index] || null);
    var last = item.getBoundingClientRect();
    if (item.animate) {
      item.animate([
        { transform: "translate(" + (first.left - last.left) + "px," + (first.top - last.top) + "px)" },
        { transform: "none" }
      ], { duration: 350, easing: "ease-out" });
    }
    item.classList.add("refused");
    setTimeout(function () { item.classList.remove("refused"); }, 1500);
  }

  function applyStats(board, data) {
    (data.columns || []).forEach(function (c) {
      var col = board.querySelector(".kanban-col[data-stage='" + c.stage_id + "']");
      if (!col) return;
      col.querySelector("[data-count]").textContent = c.count;
      col.querySelector("[data-sum]").textContent = c.sum;
    });
    var t = document.querySelector("[data-board-total]");
    if (t && data.total) t.textContent = data.total;
    var n = document.querySelector("[data-board-total-count]");
    if (n && data.total_count !== undefined) n.textContent = data.total_count;
  }

  function moveDeal(board, item, from, oldIndex, stageId, extra) {
    var body = new URLSearchParams();
    body.set("stage_id", stageId);
    body.set("filters", board.getAttribute("data-filters") || "");
    Object.keys(extra || {}).forEach(function (k) { if (extra[k]) body.set(k, extra[k]); });
    item.classList.add("saving");
    fetch("/deals/" + item.getAttribute("data-deal") + "/move", {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRF-Token": board.getAttribute("data-csrf")
      },
      body: body.toString()
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, data: j }; }, function () { return { ok: false, data: {} }; });
    }).then(function (res) {
      item.classList.remove("saving");
      if (!res.ok) {
        putBack(item, from, oldIndex);
        toast("error", (res.data && res.data.error) || board.getAttribute("data-refused"));
        return;
      }
      applyStats(board, res.data);
      item.setAttribute("data-moved", "1");
      if (closest(item, "[data-outcome]")) {
        item.classList.add("closed");
        setTimeout(function () { item.remove(); }, 700);
      }
    }).catch(function () {
      item.classList.remove("saving");
      putBack(item, from, oldIndex);
      toast("error", board.getAttribute("data-refused"));
    });
  }

  function askLoss(done) {
    var dialog = document.getElementById("loss-dialog");
    if (!dialog || !dialog.showModal) { done(null); return; }
    var form = dialog.querySelector("form");
    form.reset();
    dialog.returnValue = "";
    dialog.addEventListener("close", function onClose() {
      dialog.removeEventListener("close", onClose);
      if (dialog.returnValue !== "ok") { done(null); return; }
      done({ loss_reason_id: form.elements.loss_reason_id.value, loss_note: form.elements.loss_note.value });
    });
    dialog.showModal();
  }

  function initBoard() {
    var board = document.querySelector("[data-kanban]");
    if (!board || board.getAttribute("data-ready") || !window.Sortable) return;
    board.setAttribute("data-ready", "1");
    document.querySelectorAll("[data-colour]").forEach(function (el) {
      var c = el.getAttribute("data-colour");
      if (c) el.style.setProperty("--stage", c);
    });
    document.querySelectorAll(".kanban [data-cards], .kanban-outcomes [data-cards]").forEach(function (list) {
      window.Sortable.create(list, {
        group: "deals",
        animation: 150,
        draggable: ".deal-card",
        ghostClass: "deal-ghost",
        chosenClass: "deal-chosen",
        forceFallback: true,
        fallbackTolerance: 4,
        onEnd: function (ev) {
          if (ev.from === ev.to) return;
          var target = closest(ev.to, "[data-stage]");
          var stageId = target.getAttribute("data-stage");
          var item = ev.item, from = ev.from, oldIndex = ev.oldDraggableIndex;
          if (target.getAttribute("data-outcome") === "lost") {
            askLoss(function (extra) {
              if (!extra) putBack(item, from, oldIndex); else moveDeal(board, item, from, oldIndex, stageId, extra);
            });
          } else {
            moveDeal(board, item, from, oldIndex, stageId, {});
          }
        }
      });
    });
  }
  // ---- Pickers: search-as-you-type choices (htmx fills the list) chosen with the mouse or
  // the keyboard (arrows, Enter, Escape). The hidden input keeps the chosen id; a product
  // choice also fills the line's unit and unit price. ----
  function pickList(picker) { return picker.querySelector(".pick-list"); }
  function pickOptions(picker) { return Array.prototype.slice.call(picker.querySelectorAll(".pick-option")); }
  function closePick(picker) {
    var list = pickList(picker);
    if (list) list.innerHTML = "";
    var input = picker.querySelector("[data-pick-input]");
    if (input) { input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); }
    picker.removeAttribute("data-active");
  }
  function choose(picker, opt) {
    var input = picker.querySelector("[data-pick-input]");
    picker.querySelector("[data-pick-value]").value = opt.getAttribute("data-value");
    input.value = opt.getAttribute("data-label");
    if (picker.hasAttribute("data-pick-product")) {
      var row = closest(picker, "[data-row]");
      var price = opt.getAttribute("data-price"), unit = opt.getAttribute("data-unit");
      if (row) {
        var p = row.querySelector("input[name=item_price]");
        if (p) p.value = price || "";
        var u = row.querySelector("input[name=item_unit]");
        if (u && unit) u.value = unit;
        var q = row.querySelector("input[name=item_quantity]");
        if (q && !q.value) q.value = "1";
      }
      var sku = picker.querySelector("[data-pick-sku]");
      if (sku) { sku.hidden = false; sku.textContent = (opt.querySelector(".small") || {}).textContent ? opt.querySelector(".small").textContent.split(" · ")[0] : sku.textContent; }
    }
    closePick(picker);
    input.focus();
  }
  function activate(picker, opts, i) {
    var input = picker.querySelector("[data-pick-input]");
    opts.forEach(function (o, k) {
      o.classList.toggle("active", k === i);
      o.setAttribute("aria-selected", k === i ? "true" : "false");
      if (!o.id) o.id = pickList(picker).id + "-o" + k;
    });
    if (opts[i]) {
      input.setAttribute("aria-activedescendant", opts[i].id);
      picker.setAttribute("data-active", opts[i].getAttribute("data-value"));
      opts[i].scrollIntoView({ block: "nearest" });
    }
  }
  document.addEventListener("htmx:afterSwap", function (ev) {
    var picker = closest(ev.target, "[data-picker]");
    if (!picker) return;
    var input = picker.querySelector("[data-pick-input]");
    var opts = pickOptions(picker);
    var open = opts.length > 0 || !!ev.target.querySelector(".pick-empty");
    input.setAttribute("aria-expanded", open && document.activeElement === input ? "true" : "false");
    if (document.activeElement !== input) { pickList(picker).innerHTML = ""; return; }
    // A late answer keeps the choice the keyboard was on.
    var was = picker.getAttribute("data-active");
    var k = opts.findIndex(function (o) { return o.getAttribute("data-value") === was; });
    if (k >= 0) activate(picker, opts, k); else picker.removeAttribute("data-active");
  });
  document.addEventListener("keydown", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("[data-pick-input]")) return;
    var picker = closest(input, "[data-picker]");
    var opts = pickOptions(picker);
    var i = opts.findIndex(function (o) { return o.classList.contains("active"); });
    if (ev.key === "ArrowDown" && opts.length) { ev.preventDefault(); activate(picker, opts, Math.min(i + 1, opts.length - 1)); }
    else if (ev.key === "ArrowUp" && opts.length) { ev.preventDefault(); activate(picker, opts, Math.max(i - 1, 0)); }
    else if (ev.key === "Enter" && i >= 0) { ev.preventDefault(); choose(picker, opts[i]); }
    else if (ev.key === "Escape" && opts.length) { ev.preventDefault(); closePick(picker); }
  });
  document.addEventListener("input", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("[data-pick-input]")) return;
    // Typing again forgets the chosen record (a product line keeps it until its name is empty).
    var picker = closest(input, "[data-picker]");
    if (!picker.hasAttribute("data-pick-product") || !input.value.trim()) {
      picker.querySelector("[data-pick-value]").value = "";
      var sku = picker.querySelector("[data-pick-sku]");
      if (sku) sku.hidden = true;
    }
  });
  document.addEventListener("mousedown", function (ev) {
    var opt = closest(ev.target, ".pick-option");
    if (opt) { ev.preventDefault(); choose(closest(opt, "[data-picker]"), opt); return; }
    document.querySelectorAll("[data-picker]").forEach(function (p) { if (!p.contains(ev.target)) closePick(p); });
  });
  document.addEventListener("focusout", function (ev) {
    var picker = closest(ev.target, "[data-picker]");
    if (picker) setTimeout(function () { if (!picker.contains(document.activeElement)) closePick(picker); }, 150);
  });

  document.addEventListener("DOMContentLoaded", initBoard);
  document.addEventListener("htmx:afterSettle", initBoard);
  // The loss dialog's submit button closes it with "ok" (its value); the select must be set.
  document.addEventListener("click", function (ev) {
    var b = closest(ev.target, "#loss-dialog button");
    if (!b) return;
    var dialog = document.getElementById("loss-dialog");
    var form = dialog.querySelector("form");
    if (b.value === "ok" && !form.reportValidity()) { ev.preventDefault(); return; }
    ev.preventDefault();
    dialog.close(b.value);
  });
  // ---- Calendar: positions from data attributes (the CSP allows no inline styles), drag a
  // task to another time or day, or move it with Alt+arrows; the move is saved at once. ----
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function parseLocal(s) {
    var m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(s || "");
    return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0))) : null;
  }
  function fmtLocal(d, withTime) {
    var day = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
    return withTime ? day + "T" + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) : day;
  }

  function layoutCalendar(root) {
    (root || document).querySelectorAll("[data-top]").forEach(function (el) { el.style.top = el.getAttribute("data-top") + "px"; });
    (root || document).querySelectorAll("[data-height]").forEach(function (el) { el.style.height = el.getAttribute("data-height") + "px"; });
    (root || document).querySelectorAll("[data-pct]").forEach(function (el) { el.style.width = el.getAttribute("data-pct") + "%"; });
    var cal = document.querySelector("[data-calendar]");
    if (cal) {
      cal.classList.add("cal-positioned");
      var sc = cal.querySelector("[data-cal-scroll]");
      if (sc && !sc.getAttribute("data-scrolled")) { sc.setAttribute("data-scrolled", "1"); sc.scrollTop = 7 * 48; }
    }
  }

  function reloadCalendar(message) {
    fetch(window.location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.querySelector("[data-calendar]");
      var cal = document.querySelector("[data-calendar]");
      if (fresh && cal) {
        var sc = cal.querySelector("[data-cal-scroll]");
        var top = sc ? sc.scrollTop : 0;
        cal.replaceWith(fresh);
        layoutCalendar(fresh);
        var nsc = fresh.querySelector("[data-cal-scroll]");
        if (nsc) { nsc.setAttribute("data-scrolled", "1"); nsc.scrollTop = top; }
      }
      if (message) toast("ok", message);
    });
  }

  function moveTask(cal, ev, to) {
    var body = new URLSearchParams();
    body.set("task_id", ev.getAttribute("data-task"));
    body.set("version", ev.getAttribute("data-version"));
    body.set("to", to);
    ev.classList.add("saving");
    fetch("/calendar/move", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": cal.getAttribute("data-csrf") },
      body: body.toString()
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, data: j }; }, function () { return { ok: false, data: {} }; });
    }).then(function (res) {
      if (!res.ok) { toast("error", (res.data && res.data.error) || cal.getAttribute("data-refused")); reloadCalendar(); return; }
      reloadCalendar(cal.getAttribute("data-moved"));
    }).catch(function () { toast("error", cal.getAttribute("data-refused")); });
  }

  // Where a task dropped on `slot` starts: a slot with a time gives it; a day keeps the task's
  // time of day (an all-day task takes the date).
  function targetTime(ev, slot) {
    var s = slot.getAttribute("data-slot");
    if (s.indexOf("T") > 0) return s;
    var start = ev.getAttribute("data-start") || "";
    var allDay = !/T\d\d:\d\d/.test(start) || closest(ev, ".cal-allday") || !ev.querySelector(".cal-time") || !ev.querySelector(".cal-time").textContent.trim();
    return allDay ? s : s + "T" + start.substr(11, 5);
  }

  var drag = null;
  // The browser's own dragging of links would take the pointer away.
  document.addEventListener("dragstart", function (e) {
    if (closest(e.target, ".cal-event")) e.preventDefault();
  });
  document.addEventListener("pointerdown", function (e) {
    var ev = closest(e.target, ".cal-event[data-draggable]");
    if (!ev || e.button !== 0) return;
    drag = { ev: ev, x: e.clientX, y: e.clientY, moving: false, ghost: null, over: null };
  });
  document.addEventListener("pointermove", function (e) {
    if (!drag) return;
    if (!drag.moving && Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) < 5) return;
    if (!drag.moving) {
      drag.moving = true;
      var r = drag.ev.getBoundingClientRect();
      drag.ghost = drag.ev.cloneNode(true);
      drag.ghost.classList.add("cal-ghost");
      drag.ghost.style.width = r.width + "px";
      drag.ghost.style.height = Math.min(r.height, 60) + "px";
      document.body.appendChild(drag.ghost);
      drag.ev.classList.add("dragging");
    }
    e.preventDefault();
    drag.ghost.style.left = (e.clientX + 6) + "px";
    drag.ghost.style.top = (e.clientY + 6) + "px";
    var under = document.elementFromPoint(e.clientX, e.clientY);
    var slot = under && closest(under, "[data-slot]");
    if (drag.over && drag.over !== slot) drag.over.classList.remove("drop-target");
    if (slot) slot.classList.add("drop-target");
    drag.over = slot;
  });
  document.addEventListener("pointerup", function () {
    if (!drag) return;
    var d = drag;
    drag = null;
    if (!d.moving) return;
    if (d.ghost) d.ghost.remove();
    d.ev.classList.remove("dragging");
    if (d.over) d.over.classList.remove("drop-target");
    // The click that follows a drag does not open the task.
    d.ev.setAttribute("data-dragged", "1");
    setTimeout(function () { d.ev.removeAttribute("data-dragged"); }, 400);
    var cal = closest(d.ev, "[data-calendar]");
    if (d.over && cal) moveTask(cal, d.ev, targetTime(d.ev, d.over));
  });
  document.addEventListener("click", function (e) {
    var ev = closest(e.target, ".cal-event[data-dragged]");
    if (ev) { e.preventDefault(); e.stopPropagation(); }
  }, true);
  document.addEventListener("keydown", function (e) {
    var ev = closest(e.target, ".cal-event[data-draggable]");
    if (!ev || !e.altKey) return;
    var cal = closest(ev, "[data-calendar]");
    var start = parseLocal(ev.getAttribute("data-start"));
    if (!cal || !start) return;
    var view = cal.getAttribute("data-view");
    var timed = !!(ev.querySelector(".cal-time") && ev.querySelector(".cal-time").textContent.trim());
    var minutes = { ArrowLeft: -1440, ArrowRight: 1440, ArrowUp: view === "month" ? -10080 : -30, ArrowDown: view === "month" ? 10080 : 30 }[e.key];
    if (!minutes) return;
    if (!timed && Math.abs(minutes) < 1440) return;
    e.preventDefault();
    moveTask(cal, ev, fmtLocal(new Date(start.getTime() + minutes * 60000), timed));
  });
  document.addEventListener("DOMContentLoaded", function () { layoutCalendar(); });
  document.addEventListener("htmx:afterSettle", function () { layoutCalendar(); });
})();

// Inbox: a sent answer clears its form; the thread stays scrolled to the newest message.
document.addEventListener("htmx:afterRequest", function (e) {
  var f = e.detail && e.detail.elt;
  if (f && f.matches && f.matches("form[data-reset]") && e.detail.successful) f.reset();
});
document.addEventListener("htmx:afterSwap", function (e) {
  var t = e.detail && e.detail.target;
  if (t && t.id === "thread") t.scrollTop = t.scrollHeight;
});
document.addEventListener("DOMContentLoaded", function () {
  var t = document.getElementById("thread");
  if (t) t.scrollTop = t.scrollHeight;
});

// Flow Builder canvas (Console > Flows > a flow type).
//
// The state is the WSO2 wire format: an array of steps {id, type, size, position, data:{components, action}}.
// Every edit changes the state and re-renders the canvas from it; drag and drop (SortableJS) only moves
// DOM nodes, after which the state is read back from the DOM. Widgets expand here into ordinary steps
// and components: the server never sees a widget. The server validates (live, on every change) and
// saves; this file never decides whether a flow is valid.
(function () {
  "use strict";

  var dataNode = document.getElementById("builder-data");
  if (!dataNode) return;
  var config = JSON.parse(dataNode.textContent);
  var T = config.i18n;
  var meta = config.meta || {};
  var executors = meta.supportedExecutors || [];
  var attributes = meta.attributeMetadata || [];
  var csrfInput = document.querySelector("#builder-csrf input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";

  var steps = clone(config.steps || []);
  var selected = null; // {kind: "step"|"component", id}
  var issues = []; // messages of the last validation
  var dirty = false;
  var validateTimer = null;
  var sortables = [];
  var dragging = false; // re-rendering the canvas in the middle of a drag would break it

  var canvas = document.getElementById("canvas-steps");
  var props = document.getElementById("properties");
  var messageList = document.getElementById("builder-messages");
  var statusBox = document.getElementById("builder-status");
  var dirtyBadge = document.getElementById("builder-dirty");

  // --- helpers -------------------------------------------------------------------------------

  function clone(value) { return JSON.parse(JSON.stringify(value)); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function allIds() {
    var ids = {};
    steps.forEach(function (step) {
      ids[step.id] = true;
      walk(componentsOf(step), function (c) { ids[c.id] = true; });
    });
    return ids;
  }

  function newId(prefix) {
    var ids = allIds();
    var id;
    do {
      id = prefix.toLowerCase() + "_" + Math.random().toString(36).slice(2, 8);
    } while (ids[id]);
    return id;
  }

  function componentsOf(step) {
    step.data = step.data || {};
    if (step.type === "VIEW") step.data.components = step.data.components || [];
    return step.data.components || [];
  }

  function walk(components, fn, parent) {
    (components || []).forEach(function (c, index) {
      fn(c, parent, index);
      if (c.components) walk(c.components, fn, c);
    });
  }

  function findComponent(id) {
    var found = null;
    steps.forEach(function (step) {
      walk(componentsOf(step), function (c, parent) {
        if (c.id === id) found = { component: c, step: step, parent: parent };
      });
    });
    return found;
  }

  function findStep(id) {
    for (var i = 0; i < steps.length; i++) if (steps[i].id === id) return steps[i];
    return null;
  }

  function endStep() {
    for (var i = 0; i < steps.length; i++) if (steps[i].type === "END") return steps[i];
    return null;
  }

  function endTarget() {
    var end = endStep();
    return end ? end.id : "COMPLETE";
  }

  function stepTitle(step) {
    var title = "";
    walk(componentsOf(step), function (c) {
      if (!title && c.type === "TYPOGRAPHY" && c.config && c.config.text) title = c.config.text;
    });
    if (!title && step.data && step.data.action && step.data.action.executor) title = step.data.action.executor.name;
    return title;
  }

  function setStatus(text, kind) {
    statusBox.textContent = text || "";
    statusBox.className = "builder-status" + (kind ? " builder-status-" + kind : "");
  }

  function markDirty() {
    dirty = true;
    if (dirtyBadge) dirtyBadge.hidden = false;
    scheduleValidate();
  }

  // --- making components, steps and widgets -----------------------------------------------------

  var INPUT_DEFAULTS = {
    TEXT: { label: "Text" },
    EMAIL: { label: "Email", identifier: "http://wso2.org/claims/emailaddress" },
    PASSWORD: { label: "Password", identifier: "password" },
    TELEPHONE: { label: "Mobile number", identifier: "http://wso2.org/claims/mobile" },
    NUMBER: { label: "Number" },
    DATE: { label: "Date" },
    CHECKBOX: { label: "I agree" },
    OTP: { label: "Verification code", identifier: "otp", length: 6 },
  };

  function makeComponent(key) {
    var parts = key.split(":");
    var type = parts[0];
    var variant = parts[1];
    if (type === "FORM") return { id: newId("form"), category: "BLOCK", type: "FORM", config: {}, components: [] };
    if (type === "INPUT") {
      var d = INPUT_DEFAULTS[variant] || INPUT_DEFAULTS.TEXT;
      var cfg = { identifier: d.identifier || "", label: d.label, placeholder: "", required: variant !== "CHECKBOX" };
      if (d.length) cfg.length = d.length;
      return { id: newId("input"), category: "FIELD", type: "INPUT", variant: variant, config: cfg };
    }
    if (type === "BUTTON") {
      return {
        id: newId("button"), category: "ACTION", type: "BUTTON", variant: variant,
        config: { text: variant === "PRIMARY" ? "Continue" : "Back" },
        action: { type: "NEXT", next: "" },
      };
    }
    if (type === "TYPOGRAPHY") {
      return { id: newId("text"), category: "DISPLAY", type: "TYPOGRAPHY", variant: variant,
        config: { text: variant === "BODY1" ? "Some text" : "Heading" } };
    }
    if (type === "RICH_TEXT") return { id: newId("rich"), category: "DISPLAY", type: "RICH_TEXT", config: { text: "<p>Text with a <a href=\"/\">link</a></p>" } };
    if (type === "DIVIDER") return { id: newId("divider"), category: "DISPLAY", type: "DIVIDER", variant: "HORIZONTAL", config: {} };
    if (type === "IMAGE") return { id: newId("image"), category: "DISPLAY", type: "IMAGE", config: { src: "", alt: "" } };
    if (type === "CAPTCHA") return { id: newId("captcha"), category: "FIELD", type: "CAPTCHA", config: {} };
    return null;
  }

  function makeStep(type) {
    var step = { id: newId(type === "END" ? "end" : "step"), type: type, size: { width: 360, height: 420 }, position: { x: 0, y: 0 }, data: {} };
    if (type === "VIEW") {
      var form = makeComponent("FORM");
      var button = makeComponent("BUTTON:PRIMARY");
      form.components.push(button);
      step.data.components = [form];
    } else if (type === "EXECUTION" || type === "REDIRECTION") {
      step.data.action = { type: "EXECUTOR", executor: { name: executors[0] || "" }, next: "" };
    }
    return step;
  }

  function button(text, variant, action) {
    var b = makeComponent("BUTTON:" + variant);
    b.config.text = text;
    b.action = action;
    return b;
  }

  function heading(text, variant) {
    var t = makeComponent("TYPOGRAPHY:" + (variant || "H2"));
    t.config.text = text;
    return t;
  }

  function input(variant, identifier, label, extra) {
    var i = makeComponent("INPUT:" + variant);
    i.config.identifier = identifier;
    i.config.label = label;
    Object.keys(extra || {}).forEach(function (k) { i.config[k] = extra[k]; });
    return i;
  }

  function viewStep(components) {
    var step = makeStep("VIEW");
    step.data.components = components;
    return step;
  }

  function otpStep(executor, title, body) {
    var step = makeStep("VIEW");
    var form = makeComponent("FORM");
    form.components = [
      input("OTP", "otp", "Verification code", { required: true, length: 6 }),
      button("Verify", "PRIMARY", { type: "EXECUTOR", executor: { name: executor }, next: "" }),
    ];
    var resend = button("Send a new code", "TEXT", { type: "EXECUTOR", executor: { name: executor, meta: { resend: true } }, next: step.id });
    form.components.push(resend);
    step.data.components = [heading(title), heading(body, "BODY2"), form];
    return step;
  }

  // A widget expands into steps; "primary" is the step whose main button continues the flow.
  function expandWidget(key) {
    if (key === "IDENTIFIER_PASSWORD") {
      var form = makeComponent("FORM");
      form.components = [
        input("TEXT", "http://wso2.org/claims/username", "Username", { required: true }),
        input("PASSWORD", "password", "Password", { required: true }),
        button("Continue", "PRIMARY", { type: "EXECUTOR", executor: { name: "PasswordOnboardExecutor" }, next: "" }),
      ];
      return [viewStep([heading("Create your account"), form])];
    }
    if (key === "EMAIL_OTP") return [otpStep("EmailOTPExecutor", "Verify your email", "Enter the code we sent to your email address.")];
    if (key === "SMS_OTP") return [otpStep("SMSOTPExecutor", "Verify your mobile number", "Enter the code we sent to your phone.")];
    if (key === "NEW_PASSWORD") {
      var pwForm = makeComponent("FORM");
      pwForm.components = [
        input("PASSWORD", "password", "New password", { required: true }),
        button("Set password", "PRIMARY", { type: "EXECUTOR", executor: { name: "PasswordProvisioningExecutor" }, next: "" }),
      ];
      return [viewStep([heading("Choose a new password"), pwForm])];
    }
    if (key.indexOf("STEP:") === 0) return [makeStep(key.slice(5))];
    return [];
  }

  // The main way out of a step: its first PRIMARY button's action, or the step's own action.
  function primaryAction(step) {
    if (step.data && step.data.action) return step.data.action;
    var found = null;
    walk(componentsOf(step), function (c) {
      if (!found && c.type === "BUTTON" && c.variant === "PRIMARY" && c.action) found = c.action;
    });
    if (!found) walk(componentsOf(step), function (c) { if (!found && c.type === "BUTTON" && c.action) found = c.action; });
    return found;
  }

  // Insert new steps after ``afterIndex`` and wire them into the chain: what pointed from the step
  // before to the step after now goes through the new steps.
  function insertSteps(newSteps, afterIndex) {
    if (!newSteps.length) return;
    var before = steps[afterIndex] || null;
    var beforeAction = before ? primaryAction(before) : null;
    var oldNext = beforeAction && beforeAction.next ? beforeAction.next : endTarget();
    if (oldNext !== "COMPLETE" && !findStep(oldNext)) oldNext = endTarget(); // it pointed at a removed step
    if (newSteps[0].type === "END") oldNext = "";
    var chain = newSteps.filter(function (s) { return s.type !== "END"; });
    chain.forEach(function (s, i) {
      var target = i + 1 < chain.length ? chain[i + 1].id : oldNext;
      var action = primaryAction(s);
      if (action && !action.next) action.next = target;
    });
    if (beforeAction && chain.length && before.type !== "END") beforeAction.next = chain[0].id;
    Array.prototype.splice.apply(steps, [afterIndex + 1, 0].concat(newSteps));
  }

  function insertionIndex() {
    if (selected && selected.kind === "step") {
      for (var i = 0; i < steps.length; i++) if (steps[i].id === selected.id) return i;
    }
    if (selected && selected.kind === "component") {
      var hit = findComponent(selected.id);
      if (hit) return steps.indexOf(hit.step);
    }
    var end = endStep();
    return end ? steps.indexOf(end) - 1 : steps.length - 1;
  }

  function addFromPalette(key) {
    var group = paletteGroup(key);
    if (group === "steps") {
      var created = key.indexOf("STEP:") === 0 ? [makeStep(key.slice(5))] : expandWidget(key);
      insertSteps(created, insertionIndex());
      selected = { kind: "step", id: created[0].id };
      markDirty();
      render();
      return;
    }
    var component = makeComponent(key);
    var target = addTarget(component);
    if (!target) { setStatus(T.selectFirst, "error"); return; }
    target.list.splice(target.index, 0, component);
    selected = { kind: "component", id: component.id };
    markDirty();
    render();
  }

  // Where a clicked palette component goes: into the selected form, after the selected component,
  // or into the selected view (fields into its first form).
  function addTarget(component) {
    if (!selected) return null;
    var isField = component.type === "INPUT" || component.type === "BUTTON" || component.type === "CAPTCHA";
    if (selected.kind === "component") {
      var hit = findComponent(selected.id);
      if (!hit) return null;
      if (hit.component.type === "FORM" && component.type !== "FORM") return { list: hit.component.components, index: hit.component.components.length };
      var list = hit.parent ? hit.parent.components : componentsOf(hit.step);
      if (component.type === "FORM" && hit.parent) list = componentsOf(hit.step);
      var index = list.indexOf(hit.parent && list === componentsOf(hit.step) ? hit.parent : hit.component) + 1;
      return { list: list, index: index };
    }
    var step = findStep(selected.id);
    if (!step || step.type !== "VIEW") return null;
    var top = componentsOf(step);
    if (isField) {
      var form = null;
      top.forEach(function (c) { if (!form && c.type === "FORM") form = c; });
      if (!form) { form = makeComponent("FORM"); top.push(form); }
      // fields go before the form's first button so the button stays last
      var at = form.components.length;
      if (component.type !== "BUTTON") {
        for (var i = 0; i < form.components.length; i++) if (form.components[i].type === "BUTTON") { at = i; break; }
      }
      return { list: form.components, index: at };
    }
    return { list: top, index: top.length };
  }

  function paletteGroup(key) {
    return key.indexOf("STEP:") === 0 || isWidget(key) ? "steps" : "components";
  }

  function isWidget(key) {
    return (config.palette.widgets || []).some(function (w) { return w.key === key; });
  }

  // --- reading the canvas back after a drag -------------------------------------------------------

  function readList(ul, flat, stepEl) {
    var out = [];
    Array.prototype.forEach.call(ul.children, function (li) {
      if (li.dataset.palette) {
        var made = makeComponent(li.dataset.palette);
        if (made) { out.push(made); selected = { kind: "component", id: made.id }; }
        return;
      }
      var component = flat[li.dataset.cid];
      if (!component) return;
      if (component.type === "FORM") {
        var inner = li.querySelector(":scope > .comp-list");
        component.components = inner ? readList(inner, flat, stepEl) : [];
      }
      out.push(component);
    });
    return out;
  }

  // Inputs go above a form's buttons (a field dropped below "Continue" would never be seen first).
  function fieldsBeforeButtons(form) {
    var list = form.components || [];
    var first = -1;
    for (var i = 0; i < list.length; i++) if (list[i].type === "BUTTON") { first = i; break; }
    if (first < 0) return;
    var late = list.filter(function (c, index) { return index > first && (c.type === "INPUT" || c.type === "CAPTCHA"); });
    if (!late.length) return;
    var rest = list.filter(function (c) { return late.indexOf(c) < 0; });
    Array.prototype.splice.apply(rest, [first, 0].concat(late));
    form.components = rest;
  }

  // Fields must sit in a FORM: a field dropped straight into a view joins the view's first form.
  function tidyFields(step) {
    componentsOf(step).forEach(function (c) { if (c.type === "FORM") fieldsBeforeButtons(c); });
    var top = componentsOf(step);
    var loose = top.filter(function (c) { return c.type === "INPUT" || c.type === "CAPTCHA"; });
    if (!loose.length) return;
    var form = null;
    top.forEach(function (c) { if (!form && c.type === "FORM") form = c; });
    if (!form) { form = makeComponent("FORM"); top.push(form); }
    step.data.components = top.filter(function (c) { return loose.indexOf(c) < 0; });
    var at = 0;
    for (var i = 0; i < form.components.length; i++) if (form.components[i].type === "BUTTON") { at = i; break; } else at = i + 1;
    Array.prototype.splice.apply(form.components, [at, 0].concat(loose));
  }

  function readCanvas() {
    var flat = {};
    var byStep = {};
    steps.forEach(function (step) {
      byStep[step.id] = step;
      walk(componentsOf(step), function (c) { flat[c.id] = c; });
    });
    var next = [];
    var inserted = [];
    Array.prototype.forEach.call(canvas.children, function (li, position) {
      if (li.dataset.palette) {
        inserted.push({ at: next.length, steps: expandWidget(li.dataset.palette) });
        return;
      }
      var step = byStep[li.dataset.stepId];
      if (!step) return;
      if (step.type === "VIEW") {
        var ul = li.querySelector(":scope > .comp-list");
        step.data.components = ul ? readList(ul, flat, li) : [];
        tidyFields(step);
      }
      next.push(step);
    });
    steps = next;
    inserted.reverse().forEach(function (item) {
      insertSteps(item.steps, item.at - 1);
      if (item.steps.length) selected = { kind: "step", id: item.steps[0].id };
    });
    markDirty();
    render();
  }

  // --- rendering -------------------------------------------------------------------------------

  function issuesFor(id) {
    return issues.filter(function (m) { return m.componentId === id || (!m.componentId && m.stepId === id); });
  }

  function describeNext(action) {
    if (!action) return "";
    var target = action.next;
    if (!target) return T.notConnected;
    if (target === "COMPLETE") return T.end;
    var step = findStep(target);
    if (!step) return target;
    if (step.type === "END") return T.end;
    var title = stepTitle(step);
    return title ? target + " · " + title : target;
  }

  function componentRow(c) {
    var label = (c.config && (c.config.label || c.config.text)) || "";
    var kind = c.type + (c.variant ? " · " + c.variant : "");
    var row = el("div", { className: "comp-row" }, [
      el("span", { className: "comp-kind", text: kind }),
      el("span", { className: "comp-label", text: label.replace(/<[^>]*>/g, "") }),
      c.config && c.config.required ? el("span", { className: "comp-required", text: "*", title: T.required }) : null,
      c.config && c.config.identifier ? el("code", { className: "comp-identifier", text: c.config.identifier }) : null,
    ]);
    if (c.action) {
      var exec = c.action.type === "EXECUTOR" && c.action.executor ? c.action.executor.name + " → " : "→ ";
      row.appendChild(el("span", { className: "comp-next", text: exec + describeNext(c.action) }));
    }
    return row;
  }

  function renderComponent(c) {
    var own = issuesFor(c.id);
    var li = el("li", {
      className: "comp comp-" + c.type.toLowerCase() + (own.length ? " has-issue" : "") + (isSelected("component", c.id) ? " selected" : ""),
      "data-cid": c.id,
      tabindex: "0",
      "aria-label": c.type + " " + ((c.config && (c.config.label || c.config.text)) || c.id),
    });
    li.appendChild(componentRow(c));
    own.forEach(function (m) { li.appendChild(el("p", { className: "issue", text: m.description || m.message })); });
    if (c.type === "FORM") {
      var ul = el("ul", { className: "comp-list form-list", "data-parent": c.id, "data-empty": T.emptyForm });
      (c.components || []).forEach(function (child) { ul.appendChild(renderComponent(child)); });
      li.appendChild(ul);
    }
    return li;
  }

  function isSelected(kind, id) { return selected && selected.kind === kind && selected.id === id; }

  function renderStep(step, index) {
    var own = issuesFor(step.id);
    var li = el("li", {
      className: "step-card step-" + step.type.toLowerCase() + (own.length ? " has-issue" : "") + (isSelected("step", step.id) ? " selected" : ""),
      "data-step-id": step.id,
    });
    var head = el("div", { className: "step-head", tabindex: "0", role: "button", "aria-label": T.step + " " + step.id + " (" + step.type + ")" }, [
      el("span", { className: "drag-handle", "aria-hidden": "true", text: "⠿" }),
      el("strong", { text: step.type }),
      el("code", { text: step.id }),
    ]);
    var tools = el("span", { className: "step-tools" }, [
      el("button", { type: "button", className: "icon-btn", title: T.moveUp, "aria-label": T.moveUp + " " + step.id, text: "◀", onclick: function (e) { e.stopPropagation(); moveStep(index, -1); } }),
      el("button", { type: "button", className: "icon-btn", title: T.moveDown, "aria-label": T.moveDown + " " + step.id, text: "▶", onclick: function (e) { e.stopPropagation(); moveStep(index, 1); } }),
      el("button", { type: "button", className: "icon-btn danger", title: T.remove, "aria-label": T.remove + " " + step.id, text: "✕", onclick: function (e) { e.stopPropagation(); removeStep(step.id); } }),
    ]);
    head.appendChild(tools);
    li.appendChild(head);
    own.forEach(function (m) { li.appendChild(el("p", { className: "issue", text: m.description || m.message })); });
    if (step.type === "VIEW") {
      var ul = el("ul", { className: "comp-list step-list", "data-parent": "", "data-empty": T.emptyView });
      componentsOf(step).forEach(function (c) { ul.appendChild(renderComponent(c)); });
      li.appendChild(ul);
    } else if (step.data && step.data.action) {
      var a = step.data.action;
      li.appendChild(el("p", { className: "step-action" }, [
        el("span", { text: (a.executor && a.executor.name) || a.type }),
        el("span", { className: "comp-next", text: " → " + describeNext(a) }),
      ]));
    } else if (step.type === "END") {
      li.appendChild(el("p", { className: "muted small", text: T.end }));
    }
    return li;
  }

  function render() {
    sortables.forEach(function (s) { s.destroy(); });
    sortables = [];
    canvas.textContent = "";
    steps.forEach(function (step, index) { canvas.appendChild(renderStep(step, index)); });
    renderProperties();
    renderMessages();
    wireSortables();
  }

  function renderMessages() {
    messageList.textContent = "";
    if (!issues.length) {
      messageList.appendChild(el("li", { className: "ok", text: T.valid }));
      return;
    }
    issues.forEach(function (m) {
      var where = m.componentId || m.stepId || "";
      var item = el("li", { className: "issue-item" }, [
        el("code", { text: m.code || "" }), " ",
        el("span", { text: m.description || m.message || "" }),
      ]);
      if (where) {
        item.appendChild(el("button", { type: "button", className: "btn-link small", text: where, onclick: function () {
          selected = m.componentId ? { kind: "component", id: m.componentId } : { kind: "step", id: m.stepId };
          render();
        } }));
      }
      messageList.appendChild(item);
    });
  }

  function moveStep(index, delta) {
    var target = index + delta;
    if (target < 0 || target >= steps.length) return;
    var moved = steps.splice(index, 1)[0];
    steps.splice(target, 0, moved);
    markDirty();
    render();
  }

  function removeStep(id) {
    steps = steps.filter(function (s) { return s.id !== id; });
    if (selected && selected.kind === "step" && selected.id === id) selected = null;
    markDirty();
    render();
  }

  function removeComponent(id) {
    var hit = findComponent(id);
    if (!hit) return;
    var list = hit.parent ? hit.parent.components : componentsOf(hit.step);
    list.splice(list.indexOf(hit.component), 1);
    selected = { kind: "step", id: hit.step.id };
    markDirty();
    render();
  }

  // --- properties panel ------------------------------------------------------------------------------

  function field(labelText, control, id) {
    control.id = id;
    return el("div", { className: "field" }, [el("label", { for: id, text: labelText }), control]);
  }

  function textField(labelText, value, onChange, id, multiline) {
    var control = multiline ? el("textarea", { rows: "4" }) : el("input", { type: "text" });
    control.value = value || "";
    control.addEventListener("input", function () { onChange(control.value); markDirty(); refreshCanvasOnly(); });
    return field(labelText, control, id);
  }

  function numberField(labelText, value, onChange, id) {
    var control = el("input", { type: "number", min: "0", step: "1" });
    control.value = value || "";
    control.addEventListener("input", function () { onChange(control.value); markDirty(); refreshCanvasOnly(); });
    return field(labelText, control, id);
  }

  function checkField(labelText, checked, onChange, id) {
    var control = el("input", { type: "checkbox", id: id });
    control.checked = !!checked;
    control.addEventListener("change", function () { onChange(control.checked); markDirty(); refreshCanvasOnly(); });
    return el("div", { className: "field" }, [el("label", { className: "check", for: id }, [control, " " + labelText])]);
  }

  function selectField(labelText, options, value, onChange, id) {
    var control = el("select");
    options.forEach(function (opt) {
      var o = el("option", { value: opt[0], text: opt[1] });
      if (opt[0] === value) o.selected = true;
      control.appendChild(o);
    });
    if (value && !options.some(function (opt) { return opt[0] === value; })) {
      var extra = el("option", { value: value, text: value });
      extra.selected = true;
      control.appendChild(extra);
    }
    control.addEventListener("change", function () { onChange(control.value); markDirty(); render(); });
    return field(labelText, control, id);
  }

  // Rendering the canvas again would steal the focus from the panel while typing.
  function refreshCanvasOnly() {
    if (dragging) return;
    sortables.forEach(function (s) { s.destroy(); });
    sortables = [];
    canvas.textContent = "";
    steps.forEach(function (step, index) { canvas.appendChild(renderStep(step, index)); });
    wireSortables();
  }

  function nextOptions(selfId) {
    var options = [["", T.notConnected]];
    steps.forEach(function (s) {
      if (s.type === "END") options.push([s.id, T.end + " (" + s.id + ")"]);
      else if (s.id !== selfId || true) options.push([s.id, s.id + (stepTitle(s) ? " · " + stepTitle(s) : "")]);
    });
    if (!endStep()) options.push(["COMPLETE", T.end]);
    return options;
  }

  function actionFields(action, selfId, prefix) {
    var nodes = [];
    nodes.push(selectField(T.action, [["NEXT", T.goNext], ["EXECUTOR", T.runExecutor]], action.type, function (v) {
      action.type = v;
      if (v === "EXECUTOR" && !action.executor) action.executor = { name: executors[0] || "" };
      if (v === "NEXT") delete action.executor;
    }, prefix + "-action-type"));
    if (action.type === "EXECUTOR") {
      var names = executors.map(function (name) { return [name, name]; });
      nodes.push(selectField(T.executor, names, action.executor ? action.executor.name : "", function (v) {
        action.executor = action.executor || {};
        action.executor.name = v;
      }, prefix + "-executor"));
      if (action.executor && action.executor.meta && action.executor.meta.resend) nodes.push(el("p", { className: "help", text: T.resend }));
    }
    nodes.push(selectField(T.next, nextOptions(selfId), action.next || "", function (v) { action.next = v; }, prefix + "-next"));
    return nodes;
  }

  function attributeOptions() {
    var options = [["", "—"]];
    attributes.forEach(function (a) {
      var uri = a.claimURI || a.claimUri || a.uri;
      if (uri) options.push([uri, (a.displayName || a.name || uri) + (a.dataType ? " (" + a.dataType + ")" : "")]);
    });
    (meta.inputIdentifiers || ["password", "otp", "confirmationCode"]).forEach(function (name) { options.push([name, name]); });
    return options;
  }

  var VARIANT_BY_TYPE = { integer: "NUMBER", decimal: "NUMBER", number: "NUMBER", boolean: "CHECKBOX", date: "DATE", datetime: "DATE", date_time: "DATE" };

  function bindAttribute(component, uri) {
    var c = component.config;
    var previous = attributes.filter(function (a) { return (a.claimURI || a.uri) === c.identifier; })[0];
    c.identifier = uri;
    var attr = attributes.filter(function (a) { return (a.claimURI || a.uri) === uri; })[0];
    if (!attr) return;
    var name = attr.displayName || attr.name || uri;
    if (!c.label || (previous && c.label === (previous.displayName || previous.name)) || c.label === INPUT_DEFAULTS[component.variant || "TEXT"].label) c.label = name;
    var type = String(attr.dataType || "").toLowerCase();
    if (VARIANT_BY_TYPE[type]) component.variant = VARIANT_BY_TYPE[type];
    else if (uri === "http://wso2.org/claims/emailaddress") component.variant = "EMAIL";
    else if (uri === "http://wso2.org/claims/mobile") component.variant = "TELEPHONE";
    if (attr.required) c.required = true;
  }

  function lengthRule(c) {
    c.validations = c.validations || [];
    var rule = c.validations.filter(function (v) { return v.name === "LengthValidator"; })[0];
    if (!rule) { rule = { type: "RULE", name: "LengthValidator", conditions: [] }; c.validations.push(rule); }
    return rule;
  }

  function lengthValue(c, key) {
    var rule = (c.validations || []).filter(function (v) { return v.name === "LengthValidator"; })[0];
    var cond = rule ? rule.conditions.filter(function (x) { return x.key === key; })[0] : null;
    return cond ? cond.value : "";
  }

  function setLength(c, key, value) {
    var rule = lengthRule(c);
    rule.conditions = rule.conditions.filter(function (x) { return x.key !== key; });
    if (value) rule.conditions.push({ key: key, value: String(value) });
    if (!rule.conditions.length) c.validations = c.validations.filter(function (v) { return v !== rule; });
  }

  function renderProperties() {
    props.textContent = "";
    if (!selected) { props.appendChild(el("p", { className: "muted", text: T.selectFirst })); return; }
    if (selected.kind === "step") {
      var step = findStep(selected.id);
      if (!step) { selected = null; return renderProperties(); }
      props.appendChild(el("p", {}, [el("strong", { text: step.type + " " }), el("code", { text: step.id })]));
      if (step.data && step.data.action) actionFields(step.data.action, step.id, "p-step").forEach(function (n) { props.appendChild(n); });
      props.appendChild(el("button", { type: "button", className: "btn btn-small btn-danger-outline", text: T.remove, onclick: function () { removeStep(step.id); } }));
      return;
    }
    var hit = findComponent(selected.id);
    if (!hit) { selected = null; return renderProperties(); }
    var c = hit.component;
    c.config = c.config || {};
    props.appendChild(el("p", {}, [el("strong", { text: c.type + (c.variant ? " · " + c.variant : "") + " " }), el("code", { text: c.id })]));
    if (c.type === "INPUT") {
      props.appendChild(selectField(T.attribute, attributeOptions(), c.config.identifier || "", function (v) { bindAttribute(c, v); }, "p-identifier"));
      props.appendChild(selectField(T.variant, Object.keys(INPUT_DEFAULTS).map(function (v) { return [v, v]; }), c.variant || "TEXT", function (v) { c.variant = v; }, "p-variant"));
      props.appendChild(textField(T.label, c.config.label, function (v) { c.config.label = v; }, "p-label"));
      props.appendChild(textField(T.placeholder, c.config.placeholder, function (v) { c.config.placeholder = v; }, "p-placeholder"));
      props.appendChild(textField(T.hint, c.config.hint, function (v) { c.config.hint = v; }, "p-hint"));
      props.appendChild(checkField(T.required, c.config.required, function (v) { c.config.required = v; }, "p-required"));
      if (c.variant === "OTP") {
        props.appendChild(numberField(T.otpLength, c.config.length, function (v) { c.config.length = v ? parseInt(v, 10) : undefined; }, "p-otp-length"));
      } else if (c.variant !== "CHECKBOX" && c.variant !== "DATE" && c.variant !== "NUMBER") {
        props.appendChild(numberField(T.minLength, lengthValue(c.config, "min.length"), function (v) { setLength(c.config, "min.length", v); }, "p-min-length"));
        props.appendChild(numberField(T.maxLength, lengthValue(c.config, "max.length"), function (v) { setLength(c.config, "max.length", v); }, "p-max-length"));
      }
    } else if (c.type === "BUTTON") {
      props.appendChild(textField(T.text, c.config.text, function (v) { c.config.text = v; }, "p-text"));
      props.appendChild(selectField(T.variant, [["PRIMARY", "PRIMARY"], ["SECONDARY", "SECONDARY"], ["TEXT", "TEXT"], ["SOCIAL", "SOCIAL"]], c.variant, function (v) { c.variant = v; }, "p-variant"));
      c.action = c.action || { type: "NEXT", next: "" };
      actionFields(c.action, hit.step.id, "p-button").forEach(function (n) { props.appendChild(n); });
    } else if (c.type === "TYPOGRAPHY") {
      props.appendChild(textField(T.text, c.config.text, function (v) { c.config.text = v; }, "p-text"));
      props.appendChild(selectField(T.variant, ["H1", "H2", "H3", "H4", "H5", "H6", "BODY1", "BODY2"].map(function (v) { return [v, v]; }), c.variant, function (v) { c.variant = v; }, "p-variant"));
    } else if (c.type === "RICH_TEXT") {
      props.appendChild(textField(T.text, c.config.text, function (v) { c.config.text = v; }, "p-text", true));
    } else if (c.type === "IMAGE") {
      props.appendChild(textField(T.src, c.config.src, function (v) { c.config.src = v; }, "p-src"));
      props.appendChild(textField(T.alt, c.config.alt, function (v) { c.config.alt = v; }, "p-alt"));
    } else if (c.type === "DIVIDER") {
      props.appendChild(selectField(T.variant, [["HORIZONTAL", "HORIZONTAL"], ["VERTICAL", "VERTICAL"]], c.variant, function (v) { c.variant = v; }, "p-variant"));
    }
    props.appendChild(el("button", { type: "button", className: "btn btn-small btn-danger-outline", text: T.remove, onclick: function () { removeComponent(c.id); } }));
  }

  // --- selection (click or keyboard) -------------------------------------------------------------------

  canvas.addEventListener("click", function (event) {
    if (event.target.closest("button")) return;
    var comp = event.target.closest(".comp");
    if (comp) { selected = { kind: "component", id: comp.dataset.cid }; render(); return; }
    var step = event.target.closest(".step-card");
    if (step) { selected = { kind: "step", id: step.dataset.stepId }; render(); }
  });
  canvas.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" && event.key !== " ") return;
    if (event.target.closest("button, input, select, textarea")) return;
    var comp = event.target.closest(".comp");
    var step = event.target.closest(".step-card");
    if (!comp && !step) return;
    event.preventDefault();
    selected = comp ? { kind: "component", id: comp.dataset.cid } : { kind: "step", id: step.dataset.stepId };
    render();
    var again = comp ? canvas.querySelector('.comp[data-cid="' + selected.id + '"]') : canvas.querySelector('.step-card[data-step-id="' + selected.id + '"] .step-head');
    if (again) again.focus();
  });

  // --- palette and drag and drop ---------------------------------------------------------------------

  function renderPalette() {
    [["widgets", "palette-widgets"], ["steps", "palette-steps"], ["components", "palette-components"]].forEach(function (pair) {
      var ul = document.getElementById(pair[1]);
      ul.textContent = "";
      (config.palette[pair[0]] || []).forEach(function (item) {
        if (item.executor && executors.indexOf(item.executor) < 0) return; // not offered for this flow type
        ul.appendChild(el("li", { className: "palette-item", "data-palette": item.key }, [
          el("span", { className: "drag-handle", "aria-hidden": "true", text: "⠿" }),
          el("span", { className: "palette-label", text: item.label }),
          config.canUpdate ? el("button", { type: "button", className: "btn btn-small palette-add", "aria-label": T.add + ": " + item.label, text: T.add, onclick: function () { addFromPalette(item.key); } }) : null,
        ]));
      });
    });
  }

  function afterDrop() {
    dragging = false;
    window.setTimeout(readCanvas, 0);
  }
  function dragStarted() { dragging = true; }

  function wireSortables() {
    if (!window.Sortable || !config.canUpdate) return;
    var common = { animation: 120, forceFallback: true, fallbackOnBody: true, swapThreshold: 0.6, onStart: dragStarted, onEnd: afterDrop, filter: "button, input, select", preventOnFilter: false };
    sortables.push(window.Sortable.create(canvas, Object.assign({}, common, { group: { name: "steps", pull: true, put: true }, handle: ".step-head", draggable: ".step-card, .palette-item", direction: "horizontal" })));
    canvas.querySelectorAll(".comp-list").forEach(function (ul) {
      var isForm = ul.classList.contains("form-list");
      sortables.push(window.Sortable.create(ul, Object.assign({}, common, {
        group: {
          name: "components", pull: true,
          put: function (to, from, dragged) { return !(isForm && (dragged.dataset.palette === "FORM" || dragged.classList.contains("comp-form"))); },
        },
        draggable: ".comp, .palette-item",
      })));
    });
  }

  function wirePalettes() {
    if (!window.Sortable || !config.canUpdate) return;
    [["palette-widgets", "steps"], ["palette-steps", "steps"], ["palette-components", "components"]].forEach(function (pair) {
      window.Sortable.create(document.getElementById(pair[0]), {
        group: { name: pair[1], pull: "clone", put: false }, sort: false, forceFallback: true, fallbackOnBody: true,
        filter: "button", preventOnFilter: false, onStart: dragStarted, onEnd: afterDrop,
      });
    });
  }

  // --- server round trips -------------------------------------------------------------------------

  function wire() {
    // Canvas geometry is required by the wire format and opaque to the engine: a row of columns.
    return steps.map(function (step, index) {
      var out = clone(step);
      out.size = out.size || { width: 360, height: 420 };
      out.position = { x: 80 + index * 440, y: 120 }; // the spacing the shipped defaults use
      out.data = out.data || {};
      return out;
    });
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false, messages: [{ message: response.statusText }] }; });
    });
  }

  function scheduleValidate() {
    window.clearTimeout(validateTimer);
    validateTimer = window.setTimeout(validate, 500);
  }

  function validate() {
    return post(config.urls.validate, { steps: wire() }).then(function (result) {
      issues = result.messages || [];
      if (dragging) { scheduleValidate(); return result; } // show them after the drop
      refreshCanvasOnly();
      renderMessages();
      return result;
    });
  }

  function save() {
    setStatus(T.saving);
    return post(config.urls.save, { steps: wire() }).then(function (result) {
      if (!result.ok) {
        issues = result.messages || [];
        render();
        setStatus(T.problems, "error");
        return result;
      }
      dirty = false;
      if (dirtyBadge) dirtyBadge.hidden = true;
      issues = [];
      render();
      setStatus(result.message || T.saved, "ok");
      return result;
    });
  }

  function publish() {
    setStatus(T.publishing);
    return post(config.urls.publish, { steps: wire() }).then(function (result) {
      if (!result.ok) {
        issues = result.messages || [];
        render();
        setStatus(T.problems, "error");
        return;
      }
      dirty = false;
      if (dirtyBadge) dirtyBadge.hidden = true;
      var badge = document.getElementById("builder-version");
      if (badge) badge.textContent = result.message;
      issues = [];
      render();
      setStatus(result.message, "ok");
    });
  }

  // --- try it -------------------------------------------------------------------------------------------

  var tryPanel = document.getElementById("try-panel");
  var tryBody = document.getElementById("try-body");

  function tryStart() {
    save().then(function (result) {
      if (!result.ok) return;
      var form = new FormData();
      form.append("csrfmiddlewaretoken", csrf);
      return fetch(config.urls.try, { method: "POST", credentials: "same-origin", body: form, headers: { "X-CSRFToken": csrf } })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          tryPanel.hidden = false;
          tryBody.innerHTML = html; // rendered by the server's flow renderer (escaped, sanitised)
          if (window.htmx) window.htmx.process(tryBody);
          tryPanel.scrollIntoView({ behavior: "smooth", block: "start" });
        });
    });
  }

  // --- toolbar ---------------------------------------------------------------------------------------------

  function on(id, handler) {
    var node = document.getElementById(id);
    if (node) node.addEventListener("click", handler);
  }
  on("builder-save", function () { save(); });
  on("builder-publish", function () { publish(); });
  on("builder-try", tryStart);
  on("try-restart", tryStart);
  on("try-close", function () { tryPanel.hidden = true; tryBody.textContent = ""; });

  var importInput = document.getElementById("builder-import");
  if (importInput) {
    importInput.addEventListener("change", function () {
      var file = importInput.files && importInput.files[0];
      if (!file) return;
      file.text().then(function (text) {
        var parsed;
        try { parsed = JSON.parse(text); } catch (e) { parsed = null; }
        if (!parsed || !Array.isArray(parsed.steps)) { setStatus(T.importFailed, "error"); return; }
        steps = parsed.steps;
        selected = null;
        markDirty();
        render();
        setStatus(T.imported, "ok");
      });
      importInput.value = "";
    });
  }

  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  renderPalette();
  wirePalettes();
  render();
  validate();
})();

// Renders the OpenAPI document beside this page (openapi.json): one
// section per operation with its parameters, body and responses. Text is
// set with textContent, never parsed as HTML.
"use strict";
(async function () {
  const main = document.getElementById("ops");
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  let doc;
  try {
    const r = await fetch("openapi.json", { headers: { Accept: "application/json" } });
    doc = await r.json();
  } catch (e) {
    main.replaceChildren(el("p", "", "The document could not be loaded: " + e));
    return;
  }
  document.title = doc.info.title;
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  main.replaceChildren();
  const schema = (s) => JSON.stringify(s, null, 2);
  for (const path of Object.keys(doc.paths).sort()) {
    for (const [method, op] of Object.entries(doc.paths[path])) {
      const m = method.toUpperCase();
      const sec = el("section");
      const h = el("h2");
      h.append(el("span", "method " + m, m), el("code", "", path));
      sec.append(h);
      if (op.summary) sec.append(el("p", "", op.summary));
      if (op["x-quarry-permission"]) sec.append(el("p", "perm", "Needs the permission " + op["x-quarry-permission"] + "."));
      if (op.parameters) {
        const t = el("table");
        t.append(el("tr", "", ""));
        t.firstChild.append(el("th", "", "parameter"), el("th", "", "in"), el("th", "", "required"), el("th", "", "schema"));
        for (const p of op.parameters) {
          const tr = el("tr");
          tr.append(el("td", "", p.name), el("td", "", p.in), el("td", "", p.required ? "yes" : "no"), el("td", "", JSON.stringify(p.schema)));
          t.append(tr);
        }
        sec.append(t);
      }
      if (op.requestBody) {
        sec.append(el("p", "", "Body (application/json):"), el("pre", "", schema(op.requestBody.content["application/json"].schema)));
      }
      const codes = el("ul");
      for (const code of Object.keys(op.responses).sort()) {
        const r = op.responses[code];
        const li = el("li", "", code + " " + r.description);
        const c = r.content && (r.content["application/json"] || null);
        if (c && code < "300") li.append(el("pre", "", schema(c.schema)));
        codes.append(li);
      }
      sec.append(codes);
      main.append(sec);
    }
  }
})();

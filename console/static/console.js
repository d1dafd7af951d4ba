// Tributary Console: live sections over server-sent events, uPlot charts, the redrive dialog.
// Plain script, no build step; every page is complete HTML without it.
(() => {
  const body = document.body;
  const status = document.getElementById("live-status");
  const charts = new Map();

  function setStatus(text) {
    if (status !== null && status.textContent !== text) status.textContent = text;
  }

  function chartSize(el) {
    const width = Math.max(240, el.clientWidth || 600);
    return { width, height: width < 500 ? 180 : 260 };
  }

  function makeChart(el, data) {
    if (typeof uPlot === "undefined") return;
    const opts = {
      ...chartSize(el),
      scales: { x: { time: true } },
      axes: [{ stroke: "#333" }, { stroke: "#333" }],
      series: [
        { label: "minute (UTC)" },
        { label: "pings", stroke: "#1f5fbf", fill: "rgba(31,95,191,0.15)", width: 2 },
      ],
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    };
    const chart = new uPlot(opts, data, el);
    charts.set(el.dataset.chart, chart);
  }

  for (const el of document.querySelectorAll("[data-chart]")) {
    const json = document.getElementById(`chart-${el.dataset.chart}`);
    makeChart(el, json === null ? [[], []] : JSON.parse(json.textContent || "[[],[]]"));
  }
  window.addEventListener("resize", () => {
    for (const [id, chart] of charts) {
      const el = document.querySelector(`[data-chart="${id}"]`);
      if (el !== null) chart.setSize(chartSize(el));
    }
  });

  function apply(update) {
    for (const [id, html] of Object.entries(update.sections || {})) {
      const el = document.querySelector(`[data-live="${id}"]`);
      if (el === null) continue;
      // Keep open <details> open across updates.
      const open = new Set(
        [...el.querySelectorAll("details[open][data-key], details[open]")].map((d, i) => d.dataset.key || String(i)),
      );
      el.innerHTML = html;
      [...el.querySelectorAll("details")].forEach((d, i) => {
        if (open.has(d.dataset.key || String(i))) d.open = true;
      });
    }
    for (const [id, data] of Object.entries(update.charts || {})) {
      const chart = charts.get(id);
      if (chart !== undefined) chart.setData(data);
    }
    if (typeof update.prepend === "string") {
      const rows = document.querySelector("[data-follow-rows]");
      if (rows !== null) {
        rows.insertAdjacentHTML("afterbegin", update.prepend);
        while (rows.rows.length > 500) rows.deleteRow(rows.rows.length - 1);
      }
    }
    if (typeof update.atMs === "number") {
      body.dataset.updatedAt = String(update.atMs);
      setStatus(`live · updated ${new Date(update.atMs).toISOString().slice(11, 19)} UTC`);
    }
  }

  const events = body.dataset.events;
  if (events) {
    const source = new EventSource(`/events?${events}`);
    source.onopen = () => setStatus("live");
    source.onmessage = (e) => apply(JSON.parse(e.data));
    source.addEventListener("console-error", (e) => setStatus(`update failed: ${JSON.parse(e.data).error}`));
    source.onerror = () => setStatus("reconnecting…");
  }

  // Redrive: the only write. Confirmed in a dialog that asks for the token.
  const dialog = document.createElement("dialog");
  dialog.id = "redrive-dialog";
  dialog.setAttribute("aria-labelledby", "redrive-title");
  dialog.innerHTML = `<form method="dialog" class="redrive-form">
<h2 id="redrive-title">Redrive dead letter</h2>
<p id="redrive-what"></p>
<label>Redrive token <input type="password" name="token" id="redrive-token" autocomplete="off" required></label>
<p id="redrive-result" role="status"></p>
<div class="buttons"><button type="button" id="redrive-cancel">Cancel</button> <button type="submit" id="redrive-confirm" value="confirm">Redrive to source topic</button></div>
</form>`;
  document.body.appendChild(dialog);
  let target = null;
  document.addEventListener("click", (e) => {
    const button = e.target instanceof Element ? e.target.closest("button.redrive") : null;
    if (button === null) return;
    target = {
      topic: button.dataset.topic,
      partition: Number(button.dataset.partition),
      offset: Number(button.dataset.offset),
    };
    document.getElementById("redrive-what").textContent =
      `Re-produce ${target.topic} partition ${target.partition} offset ${target.offset} to its source topic?`;
    document.getElementById("redrive-result").textContent = "";
    dialog.showModal();
  });
  document.getElementById("redrive-cancel").addEventListener("click", () => dialog.close());
  dialog.querySelector("form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (target === null) return;
    const result = document.getElementById("redrive-result");
    result.textContent = "redriving…";
    const token = document.getElementById("redrive-token").value;
    try {
      const response = await fetch("/api/redrive", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...target, token }),
      });
      const answer = await response.json();
      if (response.ok) {
        result.textContent = `Redriven to ${answer.topic} partition ${answer.partition} offset ${answer.offset}.`;
        setTimeout(() => dialog.close(), 800);
      } else {
        result.textContent = `Refused: ${answer.message}`;
      }
    } catch (err) {
      result.textContent = `Failed: ${err}`;
    }
  });
})();

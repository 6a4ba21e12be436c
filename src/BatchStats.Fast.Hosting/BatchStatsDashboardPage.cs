using System;
using System.Globalization;

namespace BatchStats.Fast.Hosting;

/// <summary>
/// The self-contained dashboard page (no CDN, no build step) that <c>MapBatchStats</c> serves at <c>{prefix}/</c>: it
/// draws three charts from <c>history</c> next to it (the last ten minutes) at once, then polls <c>stats</c> (the
/// snapshot, analysis and alerts JSON) every second. With several trackers it shows the first registered, links to the
/// others, and shows the one its query names (<c>{prefix}/?tracker=name</c>).
/// </summary>
public static class BatchStatsDashboardPage
{
    /// <summary>The page's HTML.</summary>
    public static string Html { get; } = Page.Replace("MIN_TREND_SAMPLES", BatchStatsAnalysis.MinTrendSamples.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private const string Page = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>BatchStats.Fast — live dashboard</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5rem; background: #0f1720; color: #e6edf3; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  .cards { display: flex; gap: 1rem; flex-wrap: wrap; margin-bottom: 1rem; }
  .card { background: #18222d; border-radius: 8px; padding: .6rem 1rem; min-width: 9rem; }
  .card b { display: block; font-size: 1.4rem; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1rem; }
  figure { background: #18222d; border-radius: 8px; margin: 0; padding: .5rem; }
  figcaption { font-size: .9rem; margin-bottom: .3rem; }
  canvas { width: 100%; height: 200px; }
  #alerts li.critical { color: #ff6b6b; } #alerts li.warning { color: #ffd166; }
  .legend span { margin-right: 1rem; }
  #trackers { margin: -.5rem 0 1rem; font-size: .9rem; } #trackers a { color: #4cc9f0; margin-right: .8rem; }
  #trackers a.current { color: #e6edf3; font-weight: bold; text-decoration: none; } #status { color: #ff6b6b; }
</style>
</head>
<body>
<h1>BatchStats.Fast<span id="tracker"></span> — live dashboard <span id="status"></span></h1>
<nav id="trackers"></nav>
<div class="cards">
  <div class="card">throughput<b id="throughput">–</b><span class="unit">items</span>/s of processing</div>
  <div class="card">p99 processing<b id="p99">–</b>ms</div>
  <div class="card">queue (avg)<b id="queue">–</b><span class="unit">items</span> waiting</div>
  <div class="card">error rate<b id="errors">–</b></div>
  <div class="card">batches<b id="batches">–</b></div>
  <div class="card">trends<b id="trend" style="font-size:1rem">–</b><span id="trend-span">newer vs older half of the window</span></div>
</div>
<div class="charts">
  <figure><figcaption>Throughput (<span class="unit">items</span> per second of processing: Σ batch size / Σ processing time over the window)</figcaption><canvas id="c-throughput"></canvas></figure>
  <figure><figcaption class="legend">Processing time (ms): <span style="color:#4cc9f0">p50</span><span style="color:#f72585">p95</span><span style="color:#ffd166">p99</span></figcaption><canvas id="c-latency"></canvas></figure>
  <figure><figcaption>Queue length (<span class="unit">items</span> waiting, mean over the window)</figcaption><canvas id="c-queue"></canvas></figure>
  <figure><figcaption>Processing time, last minute: batches per bucket</figcaption><canvas id="c-distribution"></canvas></figure>
</div>
<h2 style="font-size:1.1rem">Active alerts</h2>
<ul id="alerts"><li>none</li></ul>
<script>
const tracker = new URLSearchParams(location.search).get('tracker'); // ?tracker=name picks one of several trackers
const query = tracker ? '?tracker=' + encodeURIComponent(tracker) : '';
const keep = 600; // ten minutes at one point a second, as the server's history
const series = { throughput: [], p50: [], p95: [], p99: [], queue: [] };
function push(name, v) { series[name].push(v); if (series[name].length > keep) series[name].shift(); }
function fmt(v, unit) {
  if (unit === 'ms' && v > 0 && v < 0.01) return v >= 0.001 ? (v * 1e3).toFixed(2) + ' µs' : (v * 1e6).toFixed(0) + ' ns'; // below 10 µs: µs or ns, not '0.00 ms'
  if (unit === 'ms') return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + ' ms';
  if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (v >= 1e3) return (v / 1e3).toFixed(v >= 1e4 ? 0 : 1) + 'k';
  return v >= 10 ? v.toFixed(0) : v.toFixed(1);
}
function draw(id, lines, unit) {
  const canvas = document.getElementById(id);
  const w = canvas.width = canvas.clientWidth * devicePixelRatio, h = canvas.height = canvas.clientHeight * devicePixelRatio;
  const g = canvas.getContext('2d');
  const bottom = 16 * devicePixelRatio, plot = h - bottom;
  g.clearRect(0, 0, w, h);
  const top = Math.max(0, ...lines.flatMap(l => l.data)), max = (top > 0 ? top : 1) * 1.1; // all zeros: an axis from 0 to 1.1
  g.strokeStyle = '#2b3a4a'; g.fillStyle = '#8b9bb0'; g.font = `${11 * devicePixelRatio}px sans-serif`;
  for (let i = 0; i <= 4; i++) { const y = plot - (plot * i / 4); g.beginPath(); g.moveTo(0, y); g.lineTo(w, y); g.stroke(); }
  const n = Math.max(...lines.map(l => l.data.length));
  g.fillText(n > 60 ? `−${Math.round(n / 60)} min` : `−${n} s`, 4, h - 3);
  g.fillText('now', w - 28 * devicePixelRatio, h - 3);
  for (const line of lines) {
    g.strokeStyle = line.color; g.lineWidth = 2 * devicePixelRatio; g.beginPath();
    line.data.forEach((v, i) => { const x = line.data.length < 2 ? w : w * i / (line.data.length - 1), y = plot - (v / max) * plot; i ? g.lineTo(x, y) : g.moveTo(x, y); });
    g.stroke();
  }
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) { // axis labels last, on the panel's colour, so a line never runs through them
    const label = fmt(max * i / 4, unit), y = Math.max(12 * devicePixelRatio, plot - (plot * i / 4) - 3 * devicePixelRatio);
    g.fillStyle = '#18222d'; g.fillRect(2, y - 11 * devicePixelRatio, g.measureText(label).width + 4, 13 * devicePixelRatio);
    g.fillStyle = '#8b9bb0'; g.fillText(label, 4, y);
  }
  canvas.dataset.points = lines[0].data.length;
  canvas.dataset.last = lines[0].data.length ? lines[0].data[lines[0].data.length - 1] : '';
}
function redraw() {
  draw('c-throughput', [{ data: series.throughput, color: '#80ed99' }], '');
  draw('c-latency', [{ data: series.p50, color: '#4cc9f0' }, { data: series.p95, color: '#f72585' }, { data: series.p99, color: '#ffd166' }], 'ms');
  draw('c-queue', [{ data: series.queue, color: '#b388eb' }], '');
}
async function history() {
  try {
    const r = await fetch('history' + query, { cache: 'no-store' });
    if (!r.ok) return; // an unknown ?tracker=: tick() says so
    for (const p of await r.json()) {
      push('throughput', p.throughput); push('p50', p.p50 * 1000); push('p95', p.p95 * 1000); push('p99', p.p99 * 1000); push('queue', p.queue_length);
    }
    redraw();
  } catch (e) { console.error(e); }
}
async function distribution() {
  try {
    const r = await fetch('distribution' + query, { cache: 'no-store' });
    if (!r.ok) return;
    const buckets = await r.json();
    const canvas = document.getElementById('c-distribution');
    const w = canvas.width = canvas.clientWidth * devicePixelRatio, h = canvas.height = canvas.clientHeight * devicePixelRatio;
    const g = canvas.getContext('2d');
    const bottom = 16 * devicePixelRatio, plot = h - bottom;
    g.clearRect(0, 0, w, h);
    g.fillStyle = '#8b9bb0'; g.font = `${11 * devicePixelRatio}px sans-serif`;
    canvas.dataset.buckets = buckets.length;
    if (!buckets.length) { g.fillText('no batches in the last minute', 4, 16 * devicePixelRatio); return; }
    const max = Math.max(...buckets.map(b => b.count)) * 1.1, bar = w / buckets.length;
    buckets.forEach((b, i) => { const y = plot - (b.count / max) * plot; g.fillStyle = '#4cc9f0'; g.fillRect(i * bar + 1, y, Math.max(1, bar - 2), plot - y); });
    g.fillStyle = '#8b9bb0';
    g.fillText(fmt(buckets[0].lower * 1000, 'ms'), 4, h - 3);
    g.fillText(fmt(buckets[buckets.length - 1].upper * 1000, 'ms'), w - 60 * devicePixelRatio, h - 3);
    g.fillText(fmt(max / 1.1, ''), 4, 12 * devicePixelRatio);
  } catch (e) { console.error(e); }
}
function showTrackers(d) {
  document.getElementById('tracker').textContent = d.trackers.length > 1 ? ` · ${d.tracker}` : '';
  document.title = `BatchStats.Fast${d.trackers.length > 1 ? ' · ' + d.tracker : ''} — live dashboard`;
  const nav = document.getElementById('trackers');
  if (d.trackers.length < 2 || nav.childElementCount) return;
  for (const name of d.trackers) {
    const a = document.createElement('a');
    a.href = '?tracker=' + encodeURIComponent(name); a.textContent = name;
    if (name === d.tracker) a.className = 'current';
    nav.appendChild(a);
  }
}
async function tick() {
  try {
    const r = await fetch('stats' + query, { cache: 'no-store' });
    const status = document.getElementById('status');
    if (!r.ok) { // e.g. 404 for an unknown ?tracker=: say so, with the way back to the default tracker
      let message = await r.text();
      try { message = JSON.parse(message); } catch { }
      status.innerHTML = ''; status.append(`(${message}: `);
      const back = document.createElement('a'); back.href = './'; back.textContent = 'the default tracker'; back.style.color = '#4cc9f0';
      status.append(back, ')');
      return;
    }
    status.textContent = '';
    const d = await r.json();
    showTrackers(d);
    const s = d.stats, a = d.analysis;
    if (d.items) document.querySelectorAll('.unit').forEach(e => e.textContent = d.items);
    push('throughput', s.throughput); push('p50', s.median_processing_time * 1000); push('p95', s.p95_processing_time * 1000);
    push('p99', s.p99_processing_time * 1000); push('queue', s.avg_queue_length);
    document.getElementById('throughput').textContent = fmt(s.throughput, '');
    document.getElementById('p99').textContent = (s.p99_processing_time * 1000).toFixed(2);
    document.getElementById('queue').textContent = fmt(s.avg_queue_length, ''); // 58k, as the throughput card, not 58125.9
    document.getElementById('errors').textContent = (s.error_rate * 100).toFixed(3) + ' %';
    document.getElementById('batches').textContent = s.batch_count.toLocaleString();
    const judged = s.window_count >= MIN_TREND_SAMPLES; // below it the analysis reports "stable" without comparing anything
    document.getElementById('trend').textContent = judged ? `processing time ${a.performance_trend}, throughput ${a.throughput_trend}, errors ${a.error_trend}` : 'not judged yet';
    document.getElementById('trend-span').textContent = judged
      ? `newer vs older half of the window's ${s.window_count.toLocaleString()} batches` // the window, not the charts' minutes
      : `trends need MIN_TREND_SAMPLES batches in the window; it holds ${s.window_count}`;
    redraw();
    const list = document.getElementById('alerts');
    list.innerHTML = '';
    for (const alert of d.alerts) { const li = document.createElement('li'); li.className = alert.severity; li.textContent = alert.message; /* it ends with its severity; the class colours it */ list.appendChild(li); }
    if (!d.alerts.length) list.innerHTML = '<li>none</li>';
  } catch (e) { console.error(e); }
}
history().then(tick); distribution(); setInterval(tick, 1000); setInterval(distribution, 5000);
</script>
</body>
</html>
""";
}

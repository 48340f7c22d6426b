// The model page's training graph (uPlot): drawn from the JSON the page carries, then redrawn
// from /models/<id>/training.json whenever the job's event stream reports new metrics.
(function () {
  'use strict';
  const source = document.getElementById('chart-data');
  const chartEl = document.getElementById('training-chart');
  const lrEl = document.getElementById('lr-chart');
  if (!source || !chartEl || typeof uPlot === 'undefined') return;
  const jobId = source.dataset.job;
  const COLORS = ['#0b5394', '#c0392b', '#1b6e2a', '#8e44ad', '#b35900', '#16697a', '#6d4c41', '#37474f'];
  let charts = [];
  let shape = '';

  /** One table per outputs map: [epochs, ...series], with each series' label and scale. */
  function table(outputs, stage) {
    const epochs = outputs.epoch ? outputs.epoch.values : [];
    const names = Object.keys(outputs).filter((n) => n !== 'epoch' && n !== 'learning_rate');
    const columns = names.map((n) => {
      const pct = outputs[n].kind === 'Accuracy';
      return outputs[n].values.map((v) => (v === null ? null : pct ? v * 100 : v));
    });
    const series = names.map((n) => ({ label: n + ' (' + stage + ')', scale: outputs[n].kind === 'Accuracy' ? 'pct' : 'loss' }));
    return { data: [epochs, ...columns], series, points: epochs.length };
  }

  function options(el, series, axes, height) {
    return {
      width: Math.max(300, el.clientWidth),
      height,
      // both graphs start at epoch 0, where training starts (the first report comes later)
      scales: { x: { time: false, range: (u, min, max) => [0, max > 0 ? max : 1] }, pct: { range: [0, 100] } },
      axes,
      // validation points always; other series show theirs while they are few (uPlot's own rule),
      // so the first report is drawn before there is a line to draw
      series: [{ label: 'Epoch', value: (u, v) => (v === null ? '' : v.toFixed(2)) }].concat(series.map((s, i) => Object.assign({
        label: s.label, scale: s.scale, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, dash: s.dash,
      }, s.points ? { points: { show: true } } : {}, s.stepped ? { paths: uPlot.paths.stepped({ align: 1 }) } : {}))),
    };
  }

  function draw(chart) {
    const train = table(chart.train, 'train');
    const val = table(chart.val, 'val');
    const tables = [train, val].filter((t) => t.points > 0);
    const lrActual = chart.train.learning_rate && chart.train.epoch ? [chart.train.epoch.values, chart.train.learning_rate.values] : null;
    const lrTables = [[chart.planned.map((p) => p[0]), chart.planned.map((p) => p[1])]].concat(lrActual ? [lrActual] : []);
    const series = tables.flatMap((t) => t.series.map((s) => (t === val ? Object.assign(s, { points: true }) : s)));
    const data = tables.length ? uPlot.join(tables.map((t) => t.data)) : [[], []];
    const lrData = uPlot.join(lrTables);
    chartEl.dataset.points = String(train.points + val.points);
    const key = series.map((s) => s.label).join('|') + '#' + lrTables.length;
    if (key === shape) {
      charts[0].setData(data);
      charts[1].setData(lrData);
      return;
    }
    shape = key;
    charts.forEach((c) => c.destroy());
    const axes = [{ label: 'Epoch' }, { scale: 'loss', label: 'Loss' }, { scale: 'pct', side: 1, label: 'Accuracy (%)', grid: { show: false } }];
    // the rate used changes only at iterations: it holds from one report to the next
    const lrSeries = [{ label: 'planned', scale: 'lr', dash: [6, 4] }].concat(lrActual ? [{ label: 'used', scale: 'lr', stepped: true, points: true }] : []);
    const large = chartEl.classList.contains('large');
    charts = [
      new uPlot(options(chartEl, series.length ? series : [{ label: 'no data yet', scale: 'loss' }], axes, large ? 560 : 320), data, chartEl),
      new uPlot(options(lrEl, lrSeries, [{ label: 'Epoch' }, { scale: 'lr', label: 'Learning rate', size: 70 }], large ? 320 : 200), lrData, lrEl),
    ];
    // the instances, for the browser console and the page tests
    chartEl.uplot = charts[0];
    lrEl.uplot = charts[1];
  }

  /** The labelled figures of the status row that the job-row events do not carry. */
  function figures(model) {
    const epoch = document.querySelector('[data-field="epoch"]');
    if (epoch && typeof model.epoch === 'number') epoch.textContent = String(model.epoch);
    const speed = document.querySelector('[data-field="speed"]');
    if (speed && typeof model['images per second'] === 'number') speed.textContent = String(Math.round(model['images per second']));
  }

  draw(JSON.parse(source.textContent));

  async function refresh() {
    const res = await fetch('/models/' + jobId + '/training.json', { headers: { accept: 'application/json' } });
    if (!res.ok) return;
    const model = await res.json();
    const current = JSON.parse(source.textContent);
    figures(model);
    draw({ train: model.train_outputs || {}, val: model.val_outputs || {}, planned: current.planned, epochs: current.epochs });
  }

  if (source.dataset.running === 'true') {
    let pending = false;
    const events = new EventSource('/jobs/' + jobId + '/events');
    const update = () => {
      if (pending) return;
      pending = true;
      // at most one refetch in flight; metrics events can come faster than the page draws
      setTimeout(() => refresh().finally(() => { pending = false; }), 250);
    };
    events.addEventListener('metrics', update);
    events.addEventListener('status', (event) => {
      const status = JSON.parse(event.data).status;
      if (status === 'Done' || status === 'Error' || status === 'Aborted') {
        events.close();
        update();
      }
    });
  }

  window.addEventListener('resize', () => charts.forEach((c, i) => c.setSize({ width: Math.max(300, (i === 0 ? chartEl : lrEl).clientWidth), height: c.height })));
})();

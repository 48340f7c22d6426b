// Live job tables and delete buttons. Pages read fine without this file; it only keeps them current.
(function () {
  'use strict';
  const csrf = document.getElementById('main')?.dataset.csrf ?? '';

  function duration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const pad = (n) => String(n).padStart(2, '0');
    if (h > 0) return h + 'h ' + pad(m) + 'm';
    if (m > 0) return m + 'm ' + pad(s % 60) + 's';
    return (s % 60) + 's';
  }

  function update(row) {
    const tr = document.querySelector('tr[data-job="' + row.id + '"]');
    if (!tr) return false;
    const status = tr.querySelector('[data-field="status"]');
    if (status) {
      status.textContent = row.status;
      status.className = 'status-' + row.status.toLowerCase();
    }
    const progress = tr.querySelector('progress');
    if (progress) progress.value = row.progress;
    const pct = tr.querySelector('.pct');
    if (pct) pct.textContent = row.progress + '%';
    const elapsed = tr.querySelector('[data-field="elapsed"]');
    if (elapsed) elapsed.textContent = duration(row.elapsed);
    const accuracy = tr.querySelector('[data-field="accuracy"]');
    // a labelled figure (the model page) keeps a dash until there is a value
    if (accuracy) accuracy.textContent = row.bestAccuracy === null ? (accuracy.closest('.figure') ? '–' : '') : row.bestAccuracy.toFixed(2) + ' %';
    if (!row.running) tr.querySelectorAll('form[action$="/abort"]').forEach((f) => f.remove());
    return true;
  }

  if (document.querySelector('[data-live]')) {
    let reloading = false;
    const events = new EventSource('/jobs/events');
    events.addEventListener('job', (event) => {
      const row = JSON.parse(event.data);
      // a job this page has not drawn yet: draw the page again
      if (!update(row) && !reloading) {
        reloading = true;
        setTimeout(() => location.reload(), 500);
      }
    });
    events.addEventListener('deleted', (event) => {
      const { id } = JSON.parse(event.data);
      document.querySelector('tr[data-job="' + id + '"]')?.remove();
    });
  }

  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-delete]');
    if (!button) return;
    if (!confirm('Delete ' + button.dataset.name + '? This cannot be undone.')) return;
    const res = await fetch(button.dataset.delete, { method: 'DELETE', headers: { 'x-csrf-token': csrf, accept: 'application/json' } });
    if (!res.ok) {
      const body = await res.json().catch(() => null);
      alert('Not deleted: ' + (body?.error?.description ?? res.statusText));
      return;
    }
    // on the job's own page there is nothing left to show
    if (location.pathname === button.dataset.delete) location.assign('/');
    else button.closest('tr')?.remove();
  });
})();

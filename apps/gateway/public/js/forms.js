// Create forms: show only the chosen method's fields, and the dataset form's resize preview.
(function () {
  'use strict';
  const form = document.querySelector('form.create-form');
  if (!form) return;

  // sections that belong to one value of the `method` radio
  const METHOD_SECTIONS = { folder: 'section-use-image-folder', textfile: 'section-use-text-files' };
  function showMethod() {
    const chosen = form.querySelector('input[name="method"]:checked');
    if (!chosen) return;
    for (const [method, id] of Object.entries(METHOD_SECTIONS)) {
      const section = document.getElementById(id);
      if (section) section.hidden = method !== chosen.value;
    }
    // model form: the network fields of the chosen method
    const networkFields = { standard: 'standard_networks', previous: 'previous_networks', pretrained: 'pretrained_networks', custom: 'custom_network' };
    for (const [method, field] of Object.entries(networkFields)) {
      const el = form.querySelector('[data-field-name="' + field + '"]');
      if (el) el.hidden = method !== chosen.value;
    }
  }
  form.addEventListener('change', (event) => {
    if (event.target.name === 'method') showMethod();
  });
  showMethod();

  // new-model page: the chosen dataset's summary
  const dataset = form.querySelector('select[name="dataset"]');
  if (dataset) {
    const box = document.createElement('div');
    box.setAttribute('aria-live', 'polite');
    dataset.closest('.field').appendChild(box);
    const load = async () => {
      box.innerHTML = '';
      if (!dataset.value) return;
      const res = await fetch('/datasets/summary?job_id=' + encodeURIComponent(dataset.value));
      if (res.ok) box.innerHTML = await res.text();
    };
    dataset.addEventListener('change', load);
    load();
  }

  const button = document.getElementById('resize-example-button');
  const out = document.getElementById('resize-examples');
  if (button && out) {
    button.addEventListener('click', async () => {
      out.innerHTML = '';
      const value = (name) => (form.elements[name] ? form.elements[name].value : '');
      for (const mode of ['crop', 'squash', 'fill', 'half_crop']) {
        const body = new FormData();
        body.set('width', value('resize_width'));
        body.set('height', value('resize_height'));
        body.set('channels', value('resize_channels'));
        body.set('encoding', value('encoding'));
        body.set('backend', value('backend'));
        body.set('resize_mode', mode);
        const figure = document.createElement('figure');
        const caption = document.createElement('figcaption');
        caption.textContent = mode;
        const res = await fetch('/datasets/images/resize-example', { method: 'POST', body });
        const fragment = document.createElement('div');
        // the fragment is this server's own escaped HTML: an <img> and its size
        fragment.innerHTML = await res.text();
        figure.append(caption, fragment);
        out.appendChild(figure);
      }
    });
  }
})();

// The generic inference forms' view select (§10.6): the chosen view's config fields are loaded
// from /models/view-config/<id> into the same form, so they are posted with the request.
(function () {
  'use strict';
  for (const select of document.querySelectorAll('select[name="view_extension_id"]')) {
    const form = select.form;
    const box = document.createElement('div');
    box.className = 'view-config';
    select.closest('.field').after(box);
    const load = () => fetch('/models/view-config/' + encodeURIComponent(select.value))
      .then((res) => (res.ok ? res.text() : ''))
      .then((html) => {
        box.innerHTML = html;
        // several forms load the same snippet: its ids are made the form's own
        for (const el of box.querySelectorAll('[id]')) el.id = form.id + '-' + el.id;
        for (const el of box.querySelectorAll('label[for]')) el.htmlFor = form.id + '-' + el.htmlFor;
        for (const el of box.querySelectorAll('[aria-describedby]')) el.setAttribute('aria-describedby', el.getAttribute('aria-describedby').split(' ').map((id) => form.id + '-' + id).join(' '));
      });
    select.addEventListener('change', load);
    load();
  }
})();

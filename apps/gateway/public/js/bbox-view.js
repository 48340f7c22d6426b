// The Bounding boxes view (§10.6): each input image drawn on its canvas with every output's
// boxes in that output's colour; line width, desaturation and fill opacity from the page controls.
(function () {
  'use strict';
  const controls = document.querySelector('form.bbox-controls');
  const value = (name, fallback) => Number(controls?.elements[name]?.value ?? fallback);
  function draw(figure) {
    const canvas = figure.querySelector('canvas');
    const img = figure.querySelector('img');
    const ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (img && img.complete) {
      ctx.filter = 'grayscale(' + value('desaturation', 0) + '%)';
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      ctx.filter = 'none';
    }
    ctx.lineWidth = value('line_width', 2) * Math.max(1, canvas.width / 192);
    const opacity = value('fill_opacity', 30) / 100;
    for (const group of JSON.parse(figure.dataset.boxes)) {
      ctx.strokeStyle = group.color;
      ctx.fillStyle = group.color;
      for (const [l, t, r, b] of group.boxes) {
        ctx.globalAlpha = opacity;
        ctx.fillRect(l, t, r - l, b - t);
        ctx.globalAlpha = 1;
        ctx.strokeRect(l, t, r - l, b - t);
      }
    }
  }
  const figures = [...document.querySelectorAll('figure.bbox-view')];
  for (const figure of figures) {
    const img = figure.querySelector('img');
    if (img && !img.complete) img.addEventListener('load', () => draw(figure));
    draw(figure);
  }
  controls?.addEventListener('input', () => figures.forEach(draw));
})();

// The Image Segmentation view (§10.6): pointing at a pixel of the overlay highlights its class in
// the legend (the class is read back from the overlay's colour: the nearest the legend lists, as
// a canvas returns half-transparent pixels slightly off their colour).
'use strict';
document.querySelectorAll('.segmentation-view').forEach((figure) => {
  const svg = figure.querySelector('svg');
  const overlay = figure.querySelector('.segmentation-overlay');
  const items = [...figure.querySelectorAll('.segmentation-legend li')];
  if (!svg || !overlay || items.length === 0) return;
  const [width, height] = svg.getAttribute('viewBox').split(' ').slice(2).map(Number);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const picture = new Image();
  picture.onload = () => {
    context.drawImage(picture, 0, 0);
    figure.dataset.ready = 'true';
  };
  const colours = items.map((item) => [1, 3, 5].map((i) => parseInt(item.dataset.hex.slice(i, i + 2), 16)));
  picture.src = overlay.getAttribute('href');
  svg.addEventListener('mousemove', (event) => {
    const box = svg.getBoundingClientRect();
    const x = Math.floor(((event.clientX - box.left) / box.width) * width);
    const y = Math.floor(((event.clientY - box.top) / box.height) * height);
    const [r, g, b, a] = context.getImageData(Math.min(x, width - 1), Math.min(y, height - 1), 1, 1).data;
    const distance = (c) => (c[0] - r) ** 2 + (c[1] - g) ** 2 + (c[2] - b) ** 2;
    const nearest = a === 0 ? -1 : colours.reduce((best, c, i) => (distance(c) < distance(colours[best]) ? i : best), 0);
    items.forEach((item, i) => item.classList.toggle('highlight', i === nearest));
  });
  svg.addEventListener('mouseleave', () => items.forEach((item) => item.classList.remove('highlight')));
});

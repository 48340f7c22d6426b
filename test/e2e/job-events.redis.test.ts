// GET /jobs/<id>/events over real HTTP: Server-Sent Events of status, progress and training
// metrics as they happen, ending when the job ends.
import t from 'tap';
import { login, multipart, startStack } from '../helpers/stack.ts';

interface Event { event: string; data: Record<string, unknown> }

/** Reads an SSE response to its end, parsing `event:` / `data:` blocks. */
async function readEvents(url: string): Promise<{ events: Event[]; contentType: string | null }> {
  const res = await fetch(url);
  const events: Event[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body!) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
    }
  }
  return { events, contentType: res.headers.get('content-type') };
}

t.test('job events stream status, progress and metrics', async (t) => {
  const stack = await startStack(t, { worker: true });
  const base = await stack.app.listen({ port: 0, host: '127.0.0.1' });
  const cookie = await login(stack.app, 'alice');
  const post = (url: string, fields: Record<string, string>) => {
    const body = multipart(fields);
    return stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie } });
  };
  const ds = (await post('/datasets/generic/create/image-gradients.json', { dataset_name: 'g', train_image_count: '2000', val_image_count: '200', image_width: '16', image_height: '16' })).json() as { id: string };
  const dataset = await readEvents(`${base}/jobs/${ds.id}/events`);
  t.equal(dataset.contentType, 'text/event-stream; charset=utf-8');
  const statuses = dataset.events.filter((e) => e.event === 'status').map((e) => e.data.status);
  t.equal(statuses.at(-1), 'Done', `statuses ${statuses.join(' → ')}`);
  t.ok(dataset.events.some((e) => e.event === 'progress'), 'progress events');

  const network = JSON.stringify({ class_name: 'Sequential', config: { name: 'r', layers: [
    { class_name: 'Flatten', config: { name: 'flat', batch_input_shape: [null, 16, 16, 1] } },
    { class_name: 'Dense', config: { name: 'out', units: 2 } },
  ] } });
  const model = (await post('/models/images/generic.json', { model_name: 'm', dataset: ds.id, framework: 'tensorflow', method: 'custom', custom_network: network, train_epochs: '3', solver_type: 'ADAM', learning_rate: '0.001', lr_policy: 'fixed' })).json() as { id: string };
  const { events } = await readEvents(`${base}/jobs/${model.id}/events`);
  const modelStatuses = events.filter((e) => e.event === 'status').map((e) => e.data.status);
  t.same(modelStatuses, ['Initialized', 'Running', 'Done'].slice(-modelStatuses.length), `each status once: ${modelStatuses.join(' → ')}`);
  const metrics = events.filter((e) => e.event === 'metrics').map((e) => e.data as { epoch: number; train: Record<string, number> | null; val: Record<string, number> | null });
  const epochs = metrics.map((m) => m.epoch);
  t.ok(epochs.length >= 3 && epochs.every((e, i) => i === 0 || e >= epochs[i - 1]!), `metrics epochs ${epochs.join(', ')}`);
  const last = metrics.at(-1)!;
  t.equal(last.epoch, 3);
  t.ok(typeof last.train!.loss === 'number' && typeof last.val!.loss === 'number', 'train and val loss');
  t.same(events.filter((e) => e.event === 'progress').at(-1)!.data, { progress: 1 }, 'progress reaches 1');

  const missing = await fetch(`${base}/jobs/20990101-000000-0000/events`);
  t.equal(missing.status, 404);
  // a finished job answers its final state and closes at once
  const again = await readEvents(`${base}/jobs/${model.id}/events`);
  t.same(again.events.slice(0, 2), [{ event: 'status', data: { status: 'Done' } }, { event: 'progress', data: { progress: 1 } }]);
});

// POST /models/customize (§11.5) and POST /models/visualize-network (§11.6): standard network
// texts in both formats, a job's own network, and pictures drawn by a worker.
import t from 'tap';
import sharp from 'sharp';
import { standardNetworkText } from '../../apps/gateway/src/standard-networks.ts';
import { login, multipart, startStack } from '../helpers/stack.ts';

t.test('customize and visualize-network', async (t) => {
  const stack = await startStack(t);
  const cookie = await login(stack.app, 'alice');
  // errors come in the JSON envelope when the client asks for JSON (§1.2)
  const post = (url: string, fields: Record<string, string> = {}) => {
    const body = multipart(fields);
    return stack.app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie, accept: 'application/json' } });
  };

  // customize: the standard networks as prototxt (caffe) or TF.js layers JSON (tensorflow, torch)
  for (const name of ['lenet', 'alexnet', 'googlenet'] as const) {
    const caffe = await post(`/models/customize?network=${name}&framework=caffe`);
    t.same(caffe.json(), { network: await standardNetworkText(name, 'caffe') });
    const tf = (await post(`/models/customize?network=${name}&framework=tensorflow`)).json() as { network: string };
    t.match(JSON.parse(tf.network), { class_name: 'Model', config: { name: `${name}_deploy` } });
  }
  const noNetwork = await post('/models/customize?framework=caffe');
  t.equal(noNetwork.statusCode, 400);
  t.match(noNetwork.json(), { error: { description: 'network not provided' } });
  t.equal((await post('/models/customize?network=nope&framework=caffe')).statusCode, 404, 'neither a standard network nor a job');
  t.equal((await post('/models/customize?network=lenet&framework=mxnet')).statusCode, 400);

  // visualize-network: DIGITS' HTML fragment with the PNG inline, or the picture itself
  const lenet = await standardNetworkText('lenet', 'caffe');
  const noFramework = await post('/models/visualize-network', { custom_network: lenet });
  t.equal(noFramework.statusCode, 400);
  t.match(noFramework.json(), { error: { description: 'framework not provided' } });
  const html = await post('/models/visualize-network?framework=caffe', { custom_network: lenet });
  t.equal(html.statusCode, 200, html.body.slice(0, 200));
  const match = /^<image src="data:image\/png;base64,([A-Za-z0-9+/=]+)" style="max-width:100%" \/>$/.exec(html.body);
  t.ok(match, 'an <image> fragment with a data URI');
  const meta = await sharp(Buffer.from(match![1]!, 'base64')).metadata();
  t.equal(meta.format, 'png');
  t.ok(meta.height! > meta.width!, `top-down: ${meta.width}×${meta.height}`);
  const svg = await post('/models/visualize-network?framework=caffe&format=svg', { custom_network: lenet });
  t.equal(svg.headers['content-type'], 'image/svg+xml');
  for (const layer of ['conv1', 'pool1', 'conv2', 'ip1', 'ip2', 'loss', 'accuracy', 'softmax']) t.ok(svg.body.includes(`>${layer}</text>`), `svg shows ${layer}`);
  const json = (await post('/models/customize?network=lenet&framework=tensorflow')).json() as { network: string };
  const fromJson = await post('/models/visualize-network?framework=tensorflow&format=svg', { custom_network: json.network });
  t.equal(fromJson.statusCode, 200);
  t.ok(fromJson.body.includes('>conv1</text>') && fromJson.body.includes('>softmax</text>'), 'a layers JSON is drawn too');
  const broken = await post('/models/visualize-network?framework=caffe', { custom_network: 'layer { name: "x" ' });
  t.equal(broken.statusCode, 400);
  t.match(broken.json(), { error: { code: 'NETWORK_INVALID', description: /^Bad network: line 1/ } });
  const lua = await post('/models/visualize-network?framework=torch', { custom_network: "require 'nn'\nlocal model = nn.Sequential()" });
  t.equal(lua.statusCode, 400);
  t.match(lua.json(), { error: { description: /Lua/ } });
});

// Microsoft's reference listener, hyco-https, on a relay given by the environment:
//   HYCO_LISTEN_URI  the control channel, e.g. ws://127.0.0.1:PORT/relay/$hc/aderant?sb-hc-action=listen
//   HYCO_RULE, HYCO_KEY  a SAS rule with the Listen right
// Every request is answered with JSON describing what arrived; `?size=N` pads the answer to more
// than N bytes, so a large answer takes hyco-https's rendezvous path. Prints "listening" once the
// control channel is open.
const https = require('hyco-https');

const uri = process.env.HYCO_LISTEN_URI;
const server = https.createRelayedServer(
  { server: uri, token: () => https.createRelayToken(uri, process.env.HYCO_RULE, process.env.HYCO_KEY) },
  (req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(Buffer.from(chunk)));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const size = Number(new URL(req.url, 'http://listener').searchParams.get('size') || 0);
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('X-Listener', 'hyco-https');
      res.end(JSON.stringify({
        listener: 'hyco-https',
        method: req.method,
        url: req.url,
        custom: req.headers['x-custom'] || null,
        authorization: req.headers['authorization'] || null,
        relayToken: req.headers['servicebusauthorization'] || null,
        bodyLength: body.length,
        bodyHead: body.subarray(0, 16).toString(),
        padding: 'p'.repeat(size),
      }));
    });
  });
server.on('listening', () => console.log('listening'));
server.on('error', (error) => console.error('error: ' + (error && error.message)));
server.listen();

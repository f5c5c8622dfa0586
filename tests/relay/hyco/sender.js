// Microsoft's hyco-https as a sender, the way its samples send (a token from createRelayToken over
// createRelayHttpsUri, in the ServiceBusAuthorization header), but over plain HTTP because the
// sandbox's stand-in relay is served on loopback without TLS:
//   HYCO_NAMESPACE  e.g. 127.0.0.1:PORT/relay     HYCO_PATH  e.g. aderant
//   HYCO_RULE, HYCO_KEY  a SAS rule with the Send right      HYCO_ROUTE  e.g. /v1/echo?q=1
// Prints {"status", "via", "body"} as JSON.
const http = require('http');
const https = require('hyco-https');

const { HYCO_NAMESPACE: ns, HYCO_PATH: path, HYCO_ROUTE: route } = process.env;
const token = https.createRelayToken(https.createRelayHttpsUri(ns, path), process.env.HYCO_RULE, process.env.HYCO_KEY);
const address = new URL(`http://${ns}/${path}${route}`);
http.get({
  hostname: address.hostname,
  port: address.port,
  path: address.pathname + address.search,
  headers: { ServiceBusAuthorization: token, Authorization: 'Bearer agent-key-from-node' },
}, (res) => {
  const chunks = [];
  res.on('data', (chunk) => chunks.push(chunk));
  res.on('end', () => console.log(JSON.stringify({
    status: res.statusCode, via: res.headers.via || null, body: Buffer.concat(chunks).toString(),
  })));
}).on('error', (error) => { console.error(error.message); process.exit(1); });

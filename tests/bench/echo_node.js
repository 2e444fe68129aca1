// echo_node.js: the Node net echo server of the echo benchmark (tests/bench/echo.sh).
// Listens on 127.0.0.1:0 and prints "port N".
'use strict';
const net = require('net');

const server = net.createServer((s) => {
  s.on('data', (d) => s.write(d));
  // A churning client may reset: Node would throw on an 'error' without a listener.
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`port ${server.address().port}\n`);
});

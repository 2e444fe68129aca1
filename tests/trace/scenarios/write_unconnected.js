// write_unconnected: write() on a socket that never connected: false, then the callback
// and 'error' with ERR_SOCKET_CLOSED, and close(hadError=false), as Node 20 does.
module.exports = (t) => {
  const c = t.socket('client');
  t.log(c, `readyState=${c.readyState} pending=${+c.pending}`);
  const r = c.write('x', (err) => t.log(c, `write callback ${err ? err.code : 'ok'}`));
  t.log(c, `write returned ${r}`);
};

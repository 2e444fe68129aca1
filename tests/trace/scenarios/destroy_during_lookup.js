// destroy_during_lookup: destroy() while "localhost" is being resolved: the socket
// closes without error and nothing else is emitted.
module.exports = (t) => {
  const c = t.socket('client');
  t.threw(c, 'connect', () => c.connect({ port: 9, host: 'localhost', family: 4 }));
  c.destroy();
};

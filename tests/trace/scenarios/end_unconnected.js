// end_unconnected: end() on a socket that never connected: Node waits for a connect
// that never comes, so nothing is emitted; destroy() then closes it quietly.
module.exports = (t) => {
  const c = t.socket('client');
  t.threw(c, 'end', () => c.end());
  t.log(c, `writable=${+c.writable} readyState=${c.readyState}`);
  c.destroy();
};

// listen_host_deferred: what listening and address() say right after listen() returns:
// with a host, Node binds only after its dns.lookup of the literal (a later turn); with
// no host or a path it binds within the call.
module.exports = (t) => {
  const show = (s) => {
    t.log(s, `after listen(): listening=${+s.listening} ` +
      `address=${s.address() === null ? 'null' : 'set'}`);
  };
  const a = t.server('a_host');
  const b = t.server('b_no_host');
  const c = t.server('c_path');
  for (const s of [a, b, c]) s.on('listening', () => s.close());
  t.listen(a, '127.0.0.1', 0);
  show(a);
  t.listen(b, undefined, 0);
  show(b);
  t.listenPath(c, 'c.sock');
  show(c);
};

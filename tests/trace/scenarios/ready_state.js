// ready_state: readyState, pending, connecting, readable and writable through a client's
// life: new, connecting, open, after end() (readOnly), at close.
module.exports = (t) => {
  const show = (c, when) => {
    t.log(c, `${when}: readyState=${c.readyState} pending=${+c.pending} ` +
      `connecting=${+c.connecting} readable=${+c.readable} writable=${+c.writable}`);
  };
  const s = t.server('server');
  s.on('listening', () => {
    const c = t.socket('client');
    show(c, 'new');
    c.on('connect', () => {
      show(c, 'connect');
      c.end();
      show(c, 'end()');
    });
    c.on('finish', () => show(c, 'finish'));
    c.on('close', () => show(c, 'close'));
    t.connect(c, s);
    show(c, 'connect()');
  });
  s.on('connection', () => s.close());
  t.listen(s, '127.0.0.1', 0);
};

// connect_autoselect_fallback: a custom lookup answers ::1 (nobody listens there) and
// 127.0.0.1 (the server): the ::1 attempt fails, the 127.0.0.1 one connects; the client
// ends and reads its autoSelectFamilyAttemptedAddresses at 'close'.
module.exports = (t) => {
  const s = t.server('server');
  s.on('connection', () => s.close());
  s.on('listening', () => {
    const c = t.socket('client');
    c.on('connect', () => c.end());
    c.on('close', () => {
      const n = c.autoSelectFamilyAttemptedAddresses.length;
      t.log(c, `attempted=${n}`);
      c.autoSelectFamilyAttemptedAddresses.forEach((a, i) =>
        t.log(c, `attempted[${i}] ${a.slice(0, a.lastIndexOf(':'))}`));
    });
    const lookup = (host, o, cb) =>
      cb(null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
    t.threw(c, 'connect', () => c.connect({ port: s.address().port, host: 'h.test', lookup }));
  });
  t.listen(s, '127.0.0.1', 0);
};

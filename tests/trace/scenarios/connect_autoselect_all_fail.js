// connect_autoselect_all_fail: a custom lookup answers ::1 and 127.0.0.1 for a name, on a
// port nobody listens on (a closed server's): one attempt per address, each failure
// reported, then one AggregateError (code of the first attempt, empty message) holding
// both errors, and close(hadError=true).
module.exports = (t) => {
  let port;
  const s = t.server('server');
  s.on('listening', () => {
    port = s.address().port;
    s.close();
  });
  s.on('close', () => {
    const c = t.socket('client');
    c.on('error', (e) => {
      t.log(c, `errors=${e.errors.length}`);
      e.errors.forEach((x, i) => t.log(c, `errors[${i}] ${x.code} ${x.syscall} ${x.address}`));
    });
    const lookup = (host, o, cb) => {
      t.log(c, `lookup(${host}) hints=${o.hints} all=${+o.all}`);
      cb(null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
    };
    t.threw(c, 'connect', () => c.connect({ port, host: 'h.test', lookup }));
  });
  t.listen(s, '127.0.0.1', 0);
};

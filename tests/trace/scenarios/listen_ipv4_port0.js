// listen_ipv4_port0: listen on 127.0.0.1 port 0; 'listening' comes on a later turn
// (listening right after the call is listen_host_deferred's story), the address has the kernel's port, and
// close(cb) ends it: 'close', then the callback without error.
module.exports = (t) => {
  const s = t.server('server');
  s.on('listening', () => {
    s.close((err) => {
      t.log(s, `close callback ${err ? err.code : 'ok'} listening=${+s.listening}`);
    });
    t.log(s, `close() called listening=${+s.listening}`);
  });
  t.listen(s, '127.0.0.1', 0);
};

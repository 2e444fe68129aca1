// connect_enoent: a connect to a Unix path that does not exist fails with 'error'
// ENOENT naming the path, then close(hadError=true).
module.exports = (t) => {
  const c = t.socket('client');
  t.threw(c, 'connect', () => c.connect({ path: t.path('missing.sock') }));
};
